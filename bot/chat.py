"""One chat turn for any channel: store, ask Rasa, merge what the actions said, store the answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, cast

import anyio
import httpx
from sqlalchemy.orm import Session, sessionmaker

from bot import privacy
from bot.messages import Messages, default_messages
from bot.meta import Kind, Meta
from bot.rasa import RasaClient
from bot.storage import conversations
from bot.storage.db import is_unavailable, transaction

log = logging.getLogger(__name__)

MAX_TEXT = 1000
STORE_RETRY_S = 15.0
UNAVAILABLE = default_messages().text("unavailable")  # the default wording (bot/messages.yml)


class ChatInputError(ValueError):
    """The resident's input cannot be processed (empty, too long…); the message says why in Japanese."""


@dataclass
class QuickReply:
    label: str
    text: str


@dataclass
class Reply:
    text: str
    quick_replies: list[QuickReply] = field(default_factory=list)


@dataclass
class ChatResult:
    replies: list[Reply]
    faq_id: str | None = None
    candidates: list[str] = field(default_factory=list)
    intent: str | None = None
    fallback: bool = False
    link: dict | None = None
    report_id: str | None = None
    kind: Kind | None = None
    resident_key: str = ""  # the turn's resident key (never the raw resident_id)


def clean_text(text: str) -> str:
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise ChatInputError("メッセージが空です。ご質問を入力してください。(text is empty)")
    if len(text) > MAX_TEXT:
        raise ChatInputError(
            f"メッセージが長すぎます({len(text)}文字)。{MAX_TEXT}文字以内でお送りください。"
            f"(text is longer than {MAX_TEXT} characters)"
        )
    return text


def merge_rasa_messages(messages: list[dict[str, Any]], intent: str | None) -> ChatResult:
    """Turn Rasa bot messages into a `ChatResult`; `custom.madoguchi` parts are machine data."""
    result = ChatResult(replies=[], intent=intent)
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("madoguchi"), dict):
            meta = cast(Meta, custom["madoguchi"])
            if meta.get("faq_id"):
                result.faq_id = str(meta["faq_id"])
            if meta.get("candidates"):
                result.candidates = [str(c) for c in meta["candidates"]]
            if meta.get("fallback"):
                result.fallback = True
            if meta.get("link"):
                result.link = dict(meta["link"])
            if meta.get("report_id"):
                result.report_id = str(meta["report_id"])
            if meta.get("kind"):
                result.kind = cast(Kind, str(meta["kind"]))
            continue
        text = message.get("text")
        buttons = message.get("buttons") or []
        quick = [
            QuickReply(label=str(b.get("title", "")), text=str(b.get("payload", b.get("title", ""))))
            for b in buttons
            if b.get("title")
        ]
        if text:
            result.replies.append(Reply(text=str(text), quick_replies=quick))
        elif quick and result.replies:
            result.replies[-1].quick_replies.extend(quick)
    return result


class ChatService:
    """One chat turn for any channel (widget, LINE worker): turns the resident_id into a resident_key, stores
    the masked message, asks Rasa, merges what the actions said and stores the answer.

    Only `handle` and `resident_key` ever see the raw resident_id; Rasa, storage and logs get the resident_key.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        rasa: RasaClient,
        secret: str,
        contact: str = "",
        messages: Messages | None = None,
    ) -> None:
        self._factory = factory
        self._rasa = rasa
        self._secret = secret
        self._contact = contact
        self._messages = messages or default_messages()

    def resident_key(self, channel: str, resident_id: str) -> str:
        """The resident_key (HMAC pseudonym) of the raw `resident_id` a channel knows."""
        return privacy.resident_key(self._secret, channel, resident_id)

    def _store(self, channel: str, resident_key: str, direction: str, text: str, **extra: Any) -> int:
        with transaction(self._factory) as session:
            return conversations.add_message(
                session, channel=channel, sender=resident_key, direction=direction, text=text, **extra
            ).id

    async def _store_answer(self, channel: str, resident_key: str, text: str, **extra: Any) -> None:
        """Store the answer; Rasa has already taken the turn, so a database blip (restart, failover) is waited
        out for up to `STORE_RETRY_S` rather than failing the turn and having it asked again."""
        delay, waited = 0.1, 0.0
        while True:
            try:
                await anyio.to_thread.run_sync(
                    lambda: self._store(channel, resident_key, "out", text, **extra)
                )
                return
            except Exception as exc:
                if not is_unavailable(exc) or waited + delay > STORE_RETRY_S:
                    raise
                log.warning("answer not stored yet (%s); retrying", type(exc).__name__)
            await anyio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 2.0)

    async def handle(
        self,
        channel: str,
        resident_id: str,
        text: str,
        metadata: dict[str, Any] | None = None,
        line_message_id: str | None = None,  # stored with the message, so that a LINE `unsend` can delete it
    ) -> ChatResult:
        """Answer one turn. `resident_id` is the raw id the channel knows (LINE userId, the widget's
        `sender_id`): personal data, used here only to compute the resident_key, which is what is stored, sent
        to Rasa as the sender and returned as `ChatResult.resident_key`."""
        text = clean_text(text)
        key = self.resident_key(channel, resident_id)
        await anyio.to_thread.run_sync(
            lambda: self._store(channel, key, "in", text, line_message_id=line_message_id)
        )
        meta = {"channel": channel, **(metadata or {})}
        try:
            body = await self._rasa.send(key, text, meta)
            intent = (body.get("intent") or {}).get("name")
            result = merge_rasa_messages(body.get("messages") or [], intent)
            if not result.replies:
                raise ValueError("Rasa answered with no message")
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("Rasa unavailable for a %s turn: %s", channel, type(exc).__name__)
            m = self._messages
            note = m.text("unavailable_contact", contact=self._contact) if self._contact else ""
            reply = Reply(text=m.text("unavailable") + note)
            result = ChatResult(replies=[reply], fallback=True, kind="unavailable")
        result.resident_key = key
        answer = "\n".join(r.text for r in result.replies)
        await self._store_answer(
            channel,
            key,
            answer,
            intent=result.intent,
            faq_id=result.faq_id,
            fallback=result.fallback,
            payload={"candidates": result.candidates, "kind": result.kind},
        )
        return result
