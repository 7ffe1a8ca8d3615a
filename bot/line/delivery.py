"""Delivering one LINE event's saved answer: reply while the token is fresh, else push
(`LineClient.deliver`), within the month's message allowance, never leaving the resident with silence.

- A push needs the allowance (bot/line/usage.py): while it is used up the event is held (`QuotaHold`: the
  worker keeps it pending, without spending an attempt) instead of failing; so is one whose push LINE refused
  for the allowance. Replies are free and always go.
- A push that carried a whole answer because the reply token had expired (or the reply failed) is a late
  answer: counted for the dashboard, since those pushes are what spends the allowance.
- LINE refusing the answer itself (HTTP 400: a message it will not take) gets a short fallback text with the
  city's counter instead, counted for the dashboard too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from bot.line import usage
from bot.line.handlers import Messages
from bot.messages import Messages as Wording
from bot.messages import default_messages
from bot.privacy import mask_pii
from channels.line import messages as lm
from channels.line.client import (
    REPLY_TOKEN_FRESH_S,
    LineApiError,
    LineClient,
    LineQuotaExhausted,
    SendResult,
)
from channels.line.events import LineEvent

log = logging.getLogger(__name__)

QUOTA_HOLD_S = 600.0  # a held event is looked at again this much later (a database read, no LINE call)


class QuotaHold(Exception):
    """The answer needs a push and the month's message allowance is used up: keep the event for later."""


@dataclass
class AnswerDelivery:
    line_client: LineClient
    gate: usage.PushGate
    contact: str = ""
    wording: Wording | None = None  # the gateway's own texts (None: bot/messages.yml as it is)

    async def deliver(
        self,
        event: LineEvent,
        stage: str,
        messages: Messages,
        before_reply: Callable[[], Awaitable[None]],
        before_push: Callable[[], Awaitable[None]],
    ) -> SendResult:
        """Send `messages` for `event`; `stage` is how far an earlier attempt got (see bot/line/worker.py)."""
        # Resumed after a crash: past "replying" the reply may have landed (the client probes the token); past
        # "pushing" the push may have (its retry key makes a resend safe, a reply not).
        reply_token = event.reply_token if stage != "pushing" else None
        if not (reply_token and event.age_s() <= REPLY_TOKEN_FRESH_S):
            await self._check_allowance()
        try:
            result = await self._send(
                event,
                messages,
                event.event_id,
                reply_token,
                before_reply=before_reply,
                before_push=before_push,
                probe=stage == "replying",
            )
        except LineApiError as exc:
            if exc.status != 400:
                raise
            return await self._fallback(event, stage, exc)
        if result.via == "push" and not result.already_accepted:
            await self._count(late_pushes=result.calls)
        return result

    async def _send(
        self,
        event: LineEvent,
        messages: Messages,
        seed: str,
        reply_token: str | None,
        *,
        before_reply: Callable[[], Awaitable[None]] | None = None,
        before_push: Callable[[], Awaitable[None]] | None = None,
        probe: bool = False,
    ) -> SendResult:
        try:
            return await self.line_client.deliver(
                user_id=event.user_id,
                messages=messages,
                retry_key_seed=seed,
                reply_token=reply_token,
                token_age_s=event.age_s(),
                token_maybe_used=probe,
                before_reply=before_reply,
                before_push=before_push,
            )
        except LineQuotaExhausted as exc:
            await self.gate.exhausted_async(f"answer to a {event.type} event")
            raise QuotaHold(str(exc)) from exc

    async def _check_allowance(self) -> None:
        if not await self.gate.allows(self.line_client):
            raise QuotaHold("the month's LINE message allowance is used up")

    async def _fallback(self, event: LineEvent, stage: str, refused: LineApiError) -> SendResult:
        """LINE would not take the answer: say so briefly, with the counter, instead of nothing."""
        log.error("LINE refused an answer (%s); sending the fallback text", mask_pii(str(refused))[:300])
        reply_token = event.reply_token if stage != "pushing" else None  # a refused reply leaves it unused
        if not (reply_token and event.age_s() <= REPLY_TOKEN_FRESH_S):
            await self._check_allowance()
        wording = self.wording or default_messages()
        text = wording.text("fallback_reply")
        if self.contact:
            text += wording.text("fallback_reply_contact", contact=self.contact)
        fallback = lm.text_messages([text])
        result = await self._send(event, fallback, f"{event.event_id}:fallback", reply_token)
        await self._count(fallback_texts=1, late_pushes=result.calls if result.via == "push" else 0)
        return result

    async def _count(self, *, late_pushes: int = 0, fallback_texts: int = 0) -> None:
        if late_pushes or fallback_texts:
            factory = self.gate.factory
            await anyio.to_thread.run_sync(
                lambda: usage.count(factory, late_pushes=late_pushes, fallback_texts=fallback_texts)
            )
