"""The LINE inbox processor: webhook events in the database -> ChatService -> LINE replies.

`install(app)` mounts `POST /line/webhook` (verify, store, 200; bot/line/inbox.py) and either starts a
`LineWorker` in the gateway process (`MADOGUCHI_LINE_WORKER=inline`) or wakes the separate worker process
(`process`, what the launcher runs; bot/line/process.py). Workers in several processes share the inbox safely:
rows are claimed with a compare-and-set and a lease (`bot.storage.line_inbox.claim`), every later write is
fenced by the claim token, and an event whose worker died is taken over when its lease expires. Progress is
recorded (`stage`), so a resumed event does not ask Rasa again once its answer is saved, and is not answered
twice: a reply that may have landed is settled by replying again with the same one-time token ("Invalid reply
token" = delivered), a push that may have landed is resent with the retry key derived from the event id,
which LINE deduplicates (409). While a burst of webhooks is arriving, new answering waits for it to pause
(at most 2 s; `LineWorker._let_burst_pass`), so the gateway acknowledges at full speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import anyio
from fastapi import FastAPI
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.chat import ChatInputError, ChatService
from bot.line.inbox import LineInbox
from bot.privacy import mask_pii
from bot.storage import conversations
from bot.storage import line_inbox as inbox
from bot.storage.db import is_unavailable, transaction, utcnow
from bot.storage.models import Feedback, Message, Preference
from channels.line import messages as lm
from channels.line.client import LineApiError, LineClient, LineUnavailable, RetryPolicy
from channels.line.events import LineEvent, from_dict
from channels.line.webhook import WebhookFastPath, WebhookHandler, make_router
from channels.web.ratelimit import RateLimiter

log = logging.getLogger(__name__)
CHANNEL = "line"


class PhotoSink(Protocol):
    """Where a resident's photo goes (`bot.reports.photos.PhotoStore`). Refusals raise a ValueError subclass whose
    message is Japanese text for the resident."""

    def store_photo(self, data: bytes, content_type: str | None, owner: str | None = None) -> Any: ...


@dataclass
class LineOptions:
    # An event whose worker went silent this long is taken over (MADOGUCHI_LINE_LEASE_S). Kept well under the
    # reply token's life, so a resumed event can still settle by its token whether its reply landed.
    lease_s: float = 30.0
    poll_s: float = 1.0  # how often to look for work other processes stored (own webhook wakes at once)
    concurrency: int = 8  # residents answered in parallel per process (one resident's events in order)
    max_attempts: int = 6  # processing attempts before an event is marked failed
    retry_base_s: float = 5.0  # backoff between processing attempts
    retention_days: int = (
        30  # after unfollow, the LINE id and conversation go (MADOGUCHI_RETENTION_UNFOLLOWED_LINE_DAYS)
    )
    keep_done_days: int = 7  # finished inbox rows (ids only) kept this long to absorb redeliveries
    housekeeping_s: float = 3600.0
    # while webhooks keep arriving, new answering waits for a pause this long (acknowledgements first) …
    burst_quiet_s: float = 0.1
    # … but never longer than this after the burst began (then acknowledging and answering share the CPUs)
    burst_max_defer_s: float = 2.0
    rate_per_minute: int = 30  # messages per resident answered a minute (settings.chat_rate_per_minute)
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_settings(cls, settings: Any) -> LineOptions:
        days = getattr(settings, "retention_unfollowed_line_days", None) or getattr(
            settings, "line_retention_days", 30
        )
        rate = int(getattr(settings, "chat_rate_per_minute", 30) or 30)
        lease = float(getattr(settings, "line_lease_s", 30.0) or 30.0)
        return cls(retention_days=int(days or 30), rate_per_minute=rate, lease_s=lease)


class LostLease(Exception):
    """Another worker owns the event now (our lease expired)."""


def _photo_id(stored: Any) -> str:
    return stored if isinstance(stored, str) else str(stored.photo_id)


class LineWorker:
    def __init__(
        self,
        factory: sessionmaker[Session],
        chat: ChatService,
        sender: LineClient,
        photos: PhotoSink | None,
        options: LineOptions | None = None,
        contact: str = "",
    ) -> None:
        self._factory = factory
        self._chat = chat
        self._sender = sender
        self._photos = photos
        self.options = options or LineOptions()
        self._contact = contact
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._tokens: set[str] = set()
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_housekeeping = 0.0
        self._last_intake: float | None = None  # loop time of the latest "events stored" wake-up
        self._burst_since = 0.0
        self._sustained = False  # webhooks kept coming past burst_max_defer_s: stop deferring until a pause
        self._limiter = RateLimiter(self.options.rate_per_minute)  # per resident, in this process
        self._told_to_wait: set[str] = set()

    # Running ------------------------------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def intake(self) -> None:
        """The gateway stored new events (its wake-up call): answer them once the webhooks pause."""
        now = asyncio.get_running_loop().time()
        if self._last_intake is None or now - self._last_intake >= self.options.burst_quiet_s:
            self._burst_since, self._sustained = now, False
        self._last_intake = now
        self._wake.set()

    async def _let_burst_pass(self) -> None:
        """Acknowledging webhooks (the gateway) and answering them (this worker, Rasa, the action server) share
        the machine's CPUs. While webhooks keep arriving, new answering waits until they pause for
        `burst_quiet_s`, so a burst is acknowledged at full speed (LINE redelivers what is not acknowledged in
        time) and answered right after; events already being answered go on. After `burst_max_defer_s` of
        continuous webhooks it stops waiting until the next pause, so sustained traffic is still answered."""
        loop = asyncio.get_running_loop()
        while not self._stopping and self._last_intake is not None and not self._sustained:
            now = loop.time()
            quiet_at = self._last_intake + self.options.burst_quiet_s
            if now >= quiet_at:
                return
            if now >= self._burst_since + self.options.burst_max_defer_s:
                self._sustained = True
                log.info("LINE webhooks arriving continuously: answering alongside them")
                return
            await asyncio.sleep(min(quiet_at, self._burst_since + self.options.burst_max_defer_s) - now)

    def start(self) -> None:
        self._runner = asyncio.get_running_loop().create_task(self.run(), name="line-worker")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            try:
                if loop.time() - self._last_housekeeping > self.options.housekeeping_s:
                    self._last_housekeeping = loop.time()
                    await anyio.to_thread.run_sync(self.housekeeping)
                free = self.options.concurrency - len(self._tasks)
                if free > 0:
                    await self._let_burst_pass()
                    await self._claim_and_spawn(free)
            except Exception:  # a database hiccup must not kill the worker
                log.exception("LINE worker loop error; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.options.poll_s)

    async def _claim_and_spawn(self, limit: int) -> int:
        token = str(uuid.uuid4())

        def claim() -> list[tuple[int, str, int, str, list | None, dict | None]]:
            with transaction(self._factory) as session:
                rows = inbox.claim(session, token, self.options.lease_s, limit=limit)
                return [(r.id, r.user_key, r.attempts, r.stage, r.outbox, r.payload) for r in rows]

        claimed = await anyio.to_thread.run_sync(claim)
        if not claimed:
            return 0
        self._tokens.add(token)
        groups: dict[str, list[tuple[int, str, int, str, list | None, dict | None]]] = defaultdict(list)
        for row in claimed:
            groups[row[1] or f"row-{row[0]}"].append(row)
        pending = len(groups)

        async def run_group(rows: list[tuple[int, str, int, str, list | None, dict | None]]) -> None:
            nonlocal pending
            try:
                for row_id, _key, attempts, stage, outbox, payload in rows:
                    await self._process(row_id, token, attempts, stage, outbox, payload)
            finally:
                pending -= 1
                if pending == 0:
                    self._tokens.discard(token)
                self.wake()  # capacity freed, and the resident's next event may be due

        for rows in groups.values():
            task = asyncio.get_running_loop().create_task(run_group(rows))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(claimed)

    async def run_until_idle(self, timeout_s: float = 30.0) -> None:
        """Process until nothing is due (tests and the CLI)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            spawned = await self._claim_and_spawn(self.options.concurrency)
            if self._tasks:
                await asyncio.wait(set(self._tasks))
            elif not spawned:
                return
        raise TimeoutError("LINE inbox still busy")

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop claiming, let running events finish for `grace_s`, then give the rest back to the inbox."""
        self._stopping = True
        self.wake()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self._tasks:
            _done, still = await asyncio.wait(set(self._tasks), timeout=grace_s)
            for task in still:
                task.cancel()
            if still:
                await asyncio.wait(still)
        tokens, self._tokens = set(self._tokens), set()

        def release() -> None:
            with transaction(self._factory) as session:
                for token in tokens:
                    inbox.release(session, token)

        if tokens:
            await anyio.to_thread.run_sync(release)

    # One event ----------------------------------------------------------------------------------------------

    async def _db(self, fn: Callable[[Session], Any], *, durable: bool = False) -> Any:
        """Run `fn` in a transaction. `durable`: when the database is unreachable (restart, failover), try
        again with backoff for up to one lease instead of failing, so progress already made outside the
        database (Rasa asked, the answer delivered) gets recorded and is not repeated."""

        def work() -> Any:
            with transaction(self._factory) as session:
                return fn(session)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.lease_s
        delay = 0.1
        while True:
            try:
                return await anyio.to_thread.run_sync(work)
            except Exception as exc:
                if not durable or not is_unavailable(exc) or loop.time() + delay > deadline:
                    raise
                log.warning("LINE worker: database unavailable (%s); retrying", type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _fenced(self, fn: Callable[[Session], bool]) -> None:
        """A write that only applies while we hold the event's lease (durable: see `_db`)."""
        if not await self._db(fn, durable=True):
            raise LostLease

    async def _process(
        self, row_id: int, token: str, attempts: int, stage: str, outbox: list | None, payload: dict | None
    ) -> None:
        try:
            if payload is None:
                raise ValueError("inbox row without its event")
            event = from_dict(payload)
            if stage in ("answered", "replying", "pushing") and outbox is not None:
                messages = outbox
            else:
                messages = await self._answer(event, row_id, token)
            if messages:
                await self._fenced(lambda s: inbox.renew(s, row_id, token, self.options.lease_s))
                # Resumed after a crash: past "replying" the reply may have landed (the sender probes the
                # token); past "pushing" the push may have (its retry key makes a resend safe, a reply not).
                may_reply = stage != "pushing"
                await self._sender.deliver(
                    user_id=event.user_id,
                    messages=messages,
                    retry_key_seed=event.event_id,
                    reply_token=event.reply_token if may_reply else None,
                    token_age_s=event.age_s(),
                    token_maybe_used=stage == "replying",
                    before_reply=lambda: self._fenced(
                        lambda s: inbox.set_stage(s, row_id, token, "replying")
                    ),
                    before_push=lambda: self._fenced(lambda s: inbox.set_stage(s, row_id, token, "pushing")),
                )
            await self._fenced(lambda s: inbox.complete(s, row_id, token))
        except LostLease:
            log.warning("LINE event %s: lease lost to another worker; leaving it", row_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            try:
                await self._failed(row_id, token, attempts, exc)
            except Exception:  # database down too: the lease expires and the event is resumed later
                log.exception("LINE event %s: could not record the failure", row_id)

    async def _failed(self, row_id: int, token: str, attempts: int, exc: Exception) -> None:
        error = mask_pii(f"{type(exc).__name__}: {exc}")  # kept in line_inbox.last_error: no resident words
        permanent = isinstance(exc, LineApiError) and exc.status not in (401, 403)  # auth: fix config, retry
        if permanent or attempts >= self.options.max_attempts:
            log.error("LINE event %s failed for good after %d attempts: %s", row_id, attempts, error)
            await self._db(lambda s: inbox.fail(s, row_id, token, error), durable=True)
            return
        delay = self.options.retry_base_s * (2 ** (attempts - 1))
        expected = isinstance(exc, LineUnavailable | LineApiError)
        log.log(
            logging.WARNING if expected else logging.ERROR,
            "LINE event %s attempt %d failed (%s); retrying in %.0fs",
            row_id,
            attempts,
            error,
            delay,
            exc_info=not expected,
        )
        await self._db(lambda s: inbox.retry_later(s, row_id, token, delay, error), durable=True)

    async def _save(
        self,
        row_id: int,
        token: str,
        messages: list[dict[str, Any]],
        also: Callable[[Session], Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Save the answer (and any side effect, in the same transaction) before sending it."""

        def work(session: Session) -> bool:
            if not inbox.save_outbox(session, row_id, token, messages):
                return False
            if also is not None:
                also(session)
            return True

        await self._fenced(work)
        return messages

    async def _answer(self, event: LineEvent, row_id: int, token: str) -> list[dict[str, Any]]:
        user_id = event.user_id
        if not user_id or (event.raw.get("source") or {}).get("type", "user") != "user":
            return []  # groups and rooms are not served
        pseudonym = self._chat.sender_key(CHANNEL, user_id)
        if event.type == "follow":
            texts = lm.follow_greeting(self._contact)
            return await self._save(
                row_id,
                token,
                lm.text_messages(texts, lm.menu_quick_reply()),
                lambda s: inbox.remember_user(s, pseudonym, user_id, follow=True),
            )
        if event.type == "unfollow":
            until = utcnow() + timedelta(days=self.options.retention_days)
            await self._db(lambda s: inbox.mark_unfollowed(s, pseudonym, user_id, until))
            return []
        await self._db(lambda s: inbox.remember_user(s, pseudonym, user_id))
        wait = self._limiter.check(pseudonym) if event.type in ("message", "postback") else 0.0
        if wait:  # a flood: no Rasa, no storage; the resident is told once per flood
            if pseudonym in self._told_to_wait:
                return []
            if len(self._told_to_wait) > 10_000:  # bounded like the limiter itself
                self._told_to_wait.clear()
            self._told_to_wait.add(pseudonym)
            return await self._save(row_id, token, lm.text_messages([lm.rate_limited_reply(wait)]))
        self._told_to_wait.discard(pseudonym)
        if event.type == "postback":
            return await self._postback(event, pseudonym, row_id, token)
        if event.type != "message":
            return []
        kind = event.message_type
        if kind == "sticker":
            return await self._save(
                row_id, token, lm.text_messages([lm.STICKER_REPLY], lm.menu_quick_reply())
            )
        if kind == "text":
            return await self._chat_turn(row_id, token, user_id, str(event.message.get("text") or ""), {})
        if kind == "location":
            msg = event.message
            address = str(msg.get("address") or msg.get("title") or "").strip()
            location = {"lat": msg.get("latitude"), "lon": msg.get("longitude"), "address": address}
            return await self._chat_turn(
                row_id, token, user_id, address or "[位置情報]", {"location": location}
            )
        if kind == "image":
            return await self._image(event, pseudonym, row_id, token)
        return await self._save(
            row_id, token, lm.text_messages([lm.UNSUPPORTED_REPLY], lm.menu_quick_reply())
        )

    async def _chat_turn(
        self, row_id: int, token: str, user_id: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        pseudonym = self._chat.sender_key(CHANNEL, user_id)
        try:
            result = await self._chat.handle(CHANNEL, user_id, text, {"sender_ref": pseudonym, **metadata})
        except ChatInputError as exc:
            return await self._save(row_id, token, lm.text_messages([str(exc)]))
        messages = lm.result_messages(result.replies, result.faq_id, result.link)
        return await self._save(row_id, token, messages)

    async def _image(self, event: LineEvent, pseudonym: str, row_id: int, token: str) -> list[dict[str, Any]]:
        if self._photos is None or not event.message_id:
            return await self._save(row_id, token, lm.text_messages([lm.PHOTO_FAILED_REPLY]))
        try:
            data, content_type = await self._sender.get_content(event.message_id)
        except LineApiError:  # gone (404) or refused: ask the resident to send it again
            log.warning("LINE event %s: image content unavailable", row_id)
            return await self._save(row_id, token, lm.text_messages([lm.PHOTO_FAILED_REPLY]))
        photos = self._photos
        try:
            stored = await anyio.to_thread.run_sync(
                lambda: photos.store_photo(data, content_type, owner=pseudonym)
            )
        except (ValueError, RuntimeError) as exc:  # refusal (Japanese message) or store unavailable
            message = getattr(exc, "message_ja", None) or str(exc)
            if not isinstance(exc, ValueError):  # the photo was fine but could not be written (disk full…)
                error = exc
                await anyio.to_thread.run_sync(lambda: _alert_photo_store(self._factory, error))
            return await self._save(row_id, token, lm.text_messages([message]))
        assert event.user_id is not None
        return await self._chat_turn(
            row_id, token, event.user_id, "[写真]", {"photo_ids": [_photo_id(stored)]}
        )

    async def _postback(
        self, event: LineEvent, pseudonym: str, row_id: int, token: str
    ) -> list[dict[str, Any]]:
        data = lm.decode_postback(event.postback_data)
        if data.get("a") == "fb":
            helpful = data.get("v") == "1"
            faq_id = data.get("faq") or None
            text = lm.FEEDBACK_THANKS_YES if helpful else lm.FEEDBACK_THANKS_NO
            quick = None if helpful else lm.menu_quick_reply()
            return await self._save(
                row_id,
                token,
                lm.text_messages([text], quick),
                lambda s: conversations.add_feedback(
                    s, channel=CHANNEL, sender=pseudonym, faq_id=faq_id, helpful=helpful
                ),
            )
        if data.get("a") == "say" and data.get("t"):
            assert event.user_id is not None
            return await self._chat_turn(row_id, token, event.user_id, data["t"], {})
        return []

    # Housekeeping -------------------------------------------------------------------------------------------

    def housekeeping(self) -> None:
        """Forget finished inbox rows, and residents who unfollowed longer ago than the retention period."""
        with transaction(self._factory) as session:
            inbox.purge_finished(session, utcnow() - timedelta(days=self.options.keep_done_days))
            for pseudonym in inbox.due_for_deletion(session):
                forget_resident(session, pseudonym)


def forget_resident(session: Session, pseudonym: str) -> None:
    """Delete what madoguchi keeps about one LINE resident (LINE id, conversation, feedback, preferences,
    reminder subscriptions)."""
    inbox.forget_user(session, pseudonym)
    for model in (Message, Feedback, Preference):
        session.execute(delete(model).where(model.sender == pseudonym))
    _forget_reminders(session, pseudonym)
    log.info("LINE resident %s forgotten after the retention period", pseudonym[:12])


def _forget_reminders(session: Session, pseudonym: str) -> None:
    try:
        from bot.storage.citydata import ReminderDelivery, ReminderSubscription
    except ImportError:  # the city-data concern is not installed
        return
    mine = select(ReminderSubscription.id).where(ReminderSubscription.sender == pseudonym)
    session.execute(delete(ReminderDelivery).where(ReminderDelivery.subscription_id.in_(mine)))
    session.execute(delete(ReminderSubscription).where(ReminderSubscription.sender == pseudonym))


def _alert_photo_store(factory: sessionmaker[Session], exc: Exception) -> None:
    """Tell staff (dashboard alert) that a LINE photo could not be stored; the resident goes on without it."""
    from bot.reports.service import record_staff_alert

    record_staff_alert(
        factory,
        "photo_store_unavailable",
        "写真を保存できませんでした(ディスクの空き・権限を確認してください)",
        {"error": str(exc)[:300], "channel": CHANNEL},
    )


def _photo_sink(settings: Any) -> PhotoSink | None:
    try:
        from bot.reports.photos import PhotoStore
    except ImportError:  # the reports concern not installed
        return None
    return PhotoStore.from_settings(settings)


def build_worker(
    settings: Any, factory: sessionmaker[Session], chat: ChatService, options: LineOptions | None = None
) -> tuple[LineWorker, LineClient] | None:
    """The inbox worker and its LINE client, or None when no access token is configured (events are stored,
    not answered, and an error says why)."""
    access_token = settings.line_channel_access_token.get_secret_value()
    if not access_token:
        if settings.line_channel_secret.get_secret_value():
            log.error("LINE_CHANNEL_ACCESS_TOKEN is not set: LINE events are stored but not answered")
        return None
    options = options or LineOptions.from_settings(settings)
    sender = LineClient(
        access_token, settings.line_api_base_url, settings.line_data_api_base_url, options.policy
    )
    return LineWorker(factory, chat, sender, _photo_sink(settings), options, settings.contact), sender


def install(app: FastAPI) -> None:
    """Mount the LINE webhook; run the inbox worker in this process (`line_worker=inline`) or wake the separate
    worker process (`line_worker=process`, see bot/line/process.py)."""
    settings = app.state.settings
    factory = app.state.session_factory
    app.state.line_options = LineOptions.from_settings(settings)  # tests may tune it before start-up
    line_inbox = LineInbox(factory, lambda user_id: app.state.chat.sender_key(CHANNEL, user_id))
    app.state.line_inbox = line_inbox
    handler = WebhookHandler(lambda: settings.line_channel_secret.get_secret_value(), line_inbox.accept)
    app.include_router(make_router(handler))  # the documented route (OpenAPI)
    app.add_middleware(
        WebhookFastPath, handler=handler
    )  # serves it ahead of the other middleware and routing

    async def start(app: FastAPI) -> None:
        if settings.line_channel_secret.get_secret_value():
            try:
                await anyio.to_thread.run_sync(line_inbox.warm_up)
            except Exception as exc:  # database down at start: webhooks answer 503 until it is back
                log.warning("LINE inbox warm-up failed (%s); continuing", type(exc).__name__)
        if settings.line_worker == "process":
            from bot.line.process import UdpWaker

            app.state.line_waker = line_inbox.wake = UdpWaker(settings.line_worker_port)
            return
        built = build_worker(settings, factory, app.state.chat, app.state.line_options)
        if built is None:
            return
        worker, sender = built
        app.state.line_worker = worker
        app.state.line_sender = sender
        line_inbox.wake = worker.intake
        worker.start()

    async def stop(app: FastAPI) -> None:
        worker = getattr(app.state, "line_worker", None)
        if worker is not None:
            await worker.stop()
            await app.state.line_sender.aclose()
        waker = getattr(app.state, "line_waker", None)
        if waker is not None:
            waker.close()

    app.state.startup_hooks.append(start)
    app.state.shutdown_hooks.append(stop)
