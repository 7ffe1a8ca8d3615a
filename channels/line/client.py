"""A Messaging API client that retries: reply, push (with `X-Line-Retry-Key`), content download, rich menus.

The SDK does not retry, ignores `Retry-After` and has no default timeout in its sync client, so the calls go
through httpx here, with bodies built from the SDK's models (`channels.line.messages`).

Policy: 5xx, 429, timeouts and connection errors are retried with exponential backoff (honouring
`Retry-After`, capped) up to `RetryPolicy.attempts` calls; other 4xx are permanent. A 429 that says the month's
message allowance is used up is not a rate limit: retrying cannot help, so it raises `LineQuotaExhausted` at once
(only pushes count against the allowance; replies are free). A push carries the same
retry key on every attempt, so LINE accepts it once and answers 409 to any resend: 409 counts as delivered.
A reply token is used once: a reply is retried only when the request provably never reached LINE (429,
connection refused). When the outcome is uncertain (timeout, 5xx) the same reply is tried once more while the
token is surely fresh: "Invalid reply token" then proves the first try landed, so no push repeats the answer;
any other failure falls back to a push with the retry key.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from linebot.v3.messaging import PushMessageRequest, ReplyMessageRequest

from channels.line.messages import MAX_MESSAGES_PER_CALL

log = logging.getLogger(__name__)

RETRY_KEY_NAMESPACE = uuid.UUID("6d0c3f5e-8a51-4a49-9a0e-2f4f3b1d9c17")
REPLY_TOKEN_FRESH_S = 50.0  # reply while the webhook is younger than this (LINE keeps tokens about a minute)
REPLY_TOKEN_SURE_S = 40.0  # "Invalid reply token" before this age means our own earlier try used it


class LineApiError(Exception):
    """LINE refused the request for good (a 4xx other than 409/429)."""

    def __init__(self, status: int, body: str, what: str) -> None:
        super().__init__(f"LINE API {what} failed with HTTP {status}: {body[:300]}")
        self.status = status
        self.body = body


class LineQuotaExhausted(Exception):
    """LINE answered 429 "You have reached your monthly limit.": no push goes out until the allowance grows
    (next month, or a plan change). Replies still work."""

    def __init__(self, what: str) -> None:
        super().__init__(f"LINE API {what}: the monthly message allowance is used up (HTTP 429)")


class LineUnavailable(Exception):
    """Every attempt failed with a transient error (5xx, 429, timeout, connection error).

    `outcome_unknown`: the request may have reached LINE (a timeout or 5xx after sending it).
    """

    def __init__(self, message: str, *, outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.outcome_unknown = outcome_unknown


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    timeout_s: float = 10.0
    connect_timeout_s: float = 3.0


@dataclass
class SendResult:
    via: str  # reply | push | reply+push
    calls: int = 0
    already_accepted: bool = False  # a push answered 409: LINE had it from an earlier attempt


def retry_key(seed: str, index: int = 0) -> str:
    """A UUID derived from `seed` (an event id, a report id…): the same seed always gives the same key."""
    try:
        base = uuid.UUID(seed)
    except ValueError:
        base = uuid.uuid5(RETRY_KEY_NAMESPACE, seed)
    return str(base if index == 0 else uuid.uuid5(base, f"part-{index}"))


def chunks(messages: list[dict[str, Any]], size: int = MAX_MESSAGES_PER_CALL) -> list[list[dict[str, Any]]]:
    return [messages[i : i + size] for i in range(0, len(messages), size)]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _quota_exhausted(response: httpx.Response) -> bool:
    """LINE's 429 for "the month's allowance is used up", as opposed to a rate limit ("The API rate limit has
    been exceeded. Try again later.") or too many concurrent operations."""
    return response.status_code == 429 and "monthly limit" in response.text.lower()


def _token_used(exc: LineApiError) -> bool:
    """LINE's answer to a reply token that was used (or has expired)."""
    return exc.status == 400 and "reply token" in exc.body.lower()


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)  # the request never reached the server


class LineClient:
    def __init__(
        self,
        access_token: str,
        api_base_url: str = "https://api.line.me",
        data_api_base_url: str = "https://api-data.line.me",
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self._api = api_base_url.rstrip("/")
        self._data = data_api_base_url.rstrip("/")
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {access_token}", "User-Agent": "madoguchi-line/0.1"},
            timeout=httpx.Timeout(self.policy.timeout_s, connect=self.policy.connect_timeout_s),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> LineClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        hinted = _retry_after(response) if response is not None else None
        if hinted is None:
            hinted = self.policy.base_delay_s * (2 ** (attempt - 1)) * (0.75 + random.random() / 2)
        return min(hinted, self.policy.max_delay_s)

    async def _call(
        self,
        what: str,
        method: str,
        url: str,
        *,
        ok_409: bool = False,
        only_when_unsent: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """One API call with the retry policy. `only_when_unsent`: retry only errors that prove non-delivery."""
        last: str = ""
        for attempt in range(1, self.policy.attempts + 1):
            response: httpx.Response | None = None
            try:
                response = await self._client.request(method, url, **kwargs)
            except _NOT_SENT as exc:
                last = type(exc).__name__
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last = type(exc).__name__
                if only_when_unsent:
                    raise LineUnavailable(f"{what}: {last} (outcome unknown)", outcome_unknown=True) from exc
            else:
                status = response.status_code
                if status < 300 or (ok_409 and status == 409):
                    return response
                last = f"HTTP {status}"
                if _quota_exhausted(response):
                    raise LineQuotaExhausted(what)
                if status != 429 and status < 500:
                    raise LineApiError(status, response.text, what)
                if status >= 500 and only_when_unsent:
                    raise LineUnavailable(f"{what}: {last} (outcome unknown)", outcome_unknown=True)
            if attempt < self.policy.attempts:
                delay = self._delay(attempt, response)
                log.info(
                    "LINE %s: %s, retry %d/%d in %.2fs", what, last, attempt, self.policy.attempts - 1, delay
                )
                await self._sleep(delay)
        raise LineUnavailable(f"{what}: gave up after {self.policy.attempts} attempts ({last})")

    async def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> None:
        """Reply with at most 5 messages; raises `LineApiError` (e.g. invalid/used token) or `LineUnavailable`."""
        if not 0 < len(messages) <= MAX_MESSAGES_PER_CALL:
            raise ValueError("a reply carries 1 to 5 messages")
        body = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages})
        assert body is not None
        await self._call(
            "reply", "POST", f"{self._api}/v2/bot/message/reply", json=body.to_dict(), only_when_unsent=True
        )

    async def push(
        self, user_id: str, messages: list[dict[str, Any]], retry_key_seed: str, first_part: int = 0
    ) -> SendResult:
        """Push any number of messages (5 per call); part i uses the key derived from (seed, i)."""
        result = SendResult(via="push")
        for offset, part in enumerate(chunks(messages)):
            key = retry_key(retry_key_seed, first_part + offset)
            body = PushMessageRequest.from_dict({"to": user_id, "messages": part})
            assert body is not None
            response = await self._call(
                "push",
                "POST",
                f"{self._api}/v2/bot/message/push",
                json=body.to_dict(),
                headers={"X-Line-Retry-Key": key},
                ok_409=True,
            )
            result.calls += 1
            if response.status_code == 409:
                result.already_accepted = True
                log.info("LINE push %s: already accepted (409)", key)
        return result

    async def deliver(
        self,
        *,
        user_id: str | None,
        messages: list[dict[str, Any]],
        retry_key_seed: str,
        reply_token: str | None = None,
        token_age_s: float = 0.0,
        before_reply: Callable[[], Awaitable[None]] | None = None,
        before_push: Callable[[], Awaitable[None]] | None = None,
        token_maybe_used: bool = False,
    ) -> SendResult:
        """Reply while the token is fresh, push otherwise or when the reply fails.

        `before_reply` runs just before the token is used and `before_push` just before a push carries the
        answer instead (the worker records both). `token_maybe_used`: an earlier process died after
        `before_reply` — its reply may have landed — so the reply is a probe: "Invalid reply token" while the
        token is surely fresh means the resident has the answer. A resumed event that got as far as
        `before_push` must not reply at all (pass no token): the push may have landed.
        """
        if not messages:
            return SendResult(via="none")
        if reply_token and token_age_s <= REPLY_TOKEN_FRESH_S:
            if before_reply is not None:
                await before_reply()
            head = messages[:MAX_MESSAGES_PER_CALL]
            if await self._reply_once(reply_token, head, token_age_s, probe=token_maybe_used):
                rest = messages[MAX_MESSAGES_PER_CALL:]
                if not rest:
                    return SendResult(via="reply", calls=1)
                if not user_id:
                    raise ValueError("no user id to push the rest of the answer to")
                pushed = await self.push(user_id, rest, retry_key_seed, first_part=1)
                return SendResult(
                    via="reply+push", calls=1 + pushed.calls, already_accepted=pushed.already_accepted
                )
        if not user_id:
            raise LineApiError(0, "reply token unusable and no user id to push to", "deliver")
        if before_push is not None:
            await before_push()
        return await self.push(user_id, messages, retry_key_seed)

    async def _reply_once(
        self, reply_token: str, messages: list[dict[str, Any]], token_age_s: float, probe: bool = False
    ) -> bool:
        """Reply; True when the resident has the answer, False when a push must carry it.

        A reply that timed out (or got a 5xx) may still have reached LINE. A reply token works once, so the
        same reply is tried again while the token is surely fresh: 200 means the first try was lost and this
        one landed; "Invalid reply token" means the first try consumed it — the resident has the answer, and
        a push would say it twice. Anything else: push (with its retry key).
        """
        started = time.monotonic()
        try:
            await self.reply(reply_token, messages)
            return True
        except LineApiError as exc:
            if (
                probe
                and _token_used(exc)
                and token_age_s + (time.monotonic() - started) <= REPLY_TOKEN_SURE_S
            ):
                log.info("LINE reply: the earlier try had used the token (%s); not pushing", exc)
                return True
            if not _token_used(exc):  # LINE refused the messages themselves: a push of them would fail too
                raise
            log.info("LINE reply refused (%s); pushing instead", exc)
            return False
        except LineUnavailable as exc:
            if not exc.outcome_unknown:
                log.info("LINE reply not sent (%s); pushing instead", exc)
                return False
            first = exc
        if token_age_s + (time.monotonic() - started) > REPLY_TOKEN_SURE_S:
            log.info("LINE reply: %s and the token is too old to probe; pushing instead", first)
            return False
        try:
            await self.reply(reply_token, messages)
            log.info("LINE reply: %s, the second try landed", first)
            return True
        except LineApiError as exc:
            if _token_used(exc):
                log.info("LINE reply: %s, but LINE had it (token already used); not pushing", first)
                return True
            raise
        except LineUnavailable as exc:
            log.info("LINE reply: %s, then %s; pushing instead", first, exc)
            return False

    async def get_content(self, message_id: str) -> tuple[bytes, str]:
        """The bytes and content type of an image/file a resident sent (LINE deletes them after a while)."""
        url = f"{self._data}/v2/bot/message/{message_id}/content"
        for _ in range(self.policy.attempts):
            response = await self._call("content", "GET", url)
            if response.status_code != 202:  # 202: still being prepared
                return response.content, response.headers.get("Content-Type", "application/octet-stream")
            await self._sleep(self.policy.base_delay_s)
        raise LineUnavailable("content: still not ready")

    # Chat actions ---------------------------------------------------------------------------------------

    async def show_loading(self, chat_id: str, seconds: int = 20) -> bool:
        """LINE's loading animation in a 1:1 chat while an answer is prepared (it stops when the answer
        arrives). Cosmetic: one short try, never retried, never raises; False when LINE did not take it."""
        seconds = min(60, max(5, seconds // 5 * 5))
        try:
            response = await self._client.post(
                f"{self._api}/v2/bot/chat/loading/start",
                json={"chatId": chat_id, "loadingSeconds": seconds},
                timeout=2.0,
            )
        except httpx.HTTPError as exc:
            log.debug("LINE loading animation not started: %s", type(exc).__name__)
            return False
        return response.status_code < 300

    async def leave(self, source_type: str, chat_id: str) -> None:
        """Leave a group (`source_type` "group") or a multi-person chat ("room")."""
        if source_type not in ("group", "room"):
            raise ValueError("only a group or a room can be left")
        await self._call("leave", "POST", f"{self._api}/v2/bot/{source_type}/{chat_id}/leave")

    async def message_quota(self) -> tuple[int | None, int]:
        """(the month's message allowance, None when unlimited; messages counted so far this month)."""
        quota = (await self._call("quota", "GET", f"{self._api}/v2/bot/message/quota")).json()
        used = (await self._call("quota", "GET", f"{self._api}/v2/bot/message/quota/consumption")).json()
        limit = quota.get("value") if quota.get("type") == "limited" else None
        return (int(limit) if limit is not None else None), int(used.get("totalUsage") or 0)

    # Rich menus -----------------------------------------------------------------------------------------

    async def create_rich_menu(self, definition: dict[str, Any]) -> str:
        """Create a menu. Retried only when the request provably never reached LINE: a timeout may have
        created it, and a blind retry would make a second one (`richmenu.upload` looks before creating)."""
        response = await self._call(
            "richmenu", "POST", f"{self._api}/v2/bot/richmenu", json=definition, only_when_unsent=True
        )
        return str(response.json()["richMenuId"])

    async def list_rich_menus(self) -> list[dict[str, Any]]:
        response = await self._call("richmenu list", "GET", f"{self._api}/v2/bot/richmenu/list")
        menus = response.json().get("richmenus")
        return [m for m in menus if isinstance(m, dict)] if isinstance(menus, list) else []

    async def rich_menu_has_image(self, rich_menu_id: str) -> bool:
        try:
            await self._call("richmenu image", "GET", f"{self._data}/v2/bot/richmenu/{rich_menu_id}/content")
        except LineApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    async def upload_rich_menu_image(self, rich_menu_id: str, data: bytes, content_type: str) -> None:
        await self._call(
            "richmenu image",
            "POST",
            f"{self._data}/v2/bot/richmenu/{rich_menu_id}/content",
            content=data,
            headers={"Content-Type": content_type},
        )

    async def set_default_rich_menu(self, rich_menu_id: str) -> None:
        await self._call("default richmenu", "POST", f"{self._api}/v2/bot/user/all/richmenu/{rich_menu_id}")
