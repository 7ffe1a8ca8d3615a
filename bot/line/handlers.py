"""What the LINE worker answers to each kind of event: one handler per kind, chosen from `HANDLERS`.

`Answerer.answer` serves residents in 1:1 chats only: in a group or a room it says so and leaves
(bot/line/groups.py). An event in standby mode (a module channel such as a staffed chat has the conversation)
gets no answer at all; only the bookkeeping that keeps no one's data longer than needed still runs
(`SILENT_HANDLERS`: unfollow, unsend, follow). Otherwise it remembers the resident's LINE id for pushes, applies
the per-resident flood limit to messages and postbacks, then calls the kind's handler. A handler saves its
answer with `Turn.save` before returning it (fenced by the worker's claim, together with any side effect), so
an event resumed after a crash delivers the saved answer instead of asking Rasa again. [] means no answer.

While a report form waits for an answer (`conversations.report_question`), what the form cannot use — a sticker,
a video, an audio clip, a file — is answered with a reminder of the report and its question, buttons included.

Surveys, the resident profile and the satisfaction check (bot/surveys/line.py) come before the chat: their
keywords (「アンケート」, 「登録情報」), a free-text survey answer and their postbacks; after a chat turn the
satisfaction question is added when it is due.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import anyio
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts import record_staff_alert
from bot.chat import ChatInputError, ChatService
from bot.line.groups import leave_group
from bot.line.unsend import take_back
from bot.messages import Messages as Wording
from bot.messages import default_messages
from bot.storage import conversations
from bot.storage import line_inbox as inbox
from bot.storage.db import utcnow
from bot.surveys import line as survey_line
from channels.line import messages as lm
from channels.line.client import LineApiError, LineClient
from channels.line.events import LineEvent
from channels.web.ratelimit import RateLimiter

log = logging.getLogger(__name__)
CHANNEL = "line"

Messages = list[dict[str, Any]]


class PhotoSink(Protocol):
    """Where a resident's photo goes (`bot.reports.photos.PhotoStore`). Refusals raise a ValueError subclass whose
    message is Japanese text for the resident."""

    def store_photo(self, data: bytes, content_type: str | None, owner: str | None = None) -> Any: ...

    def path_for(self, photo_id: str) -> Any: ...


class SaveAnswer(Protocol):
    def __call__(
        self, messages: Messages, also: Callable[[Session], Any] | None = None
    ) -> Awaitable[Messages]: ...


@dataclass(frozen=True)
class Turn:
    """One resident's event being answered, with the worker's two ways to write."""

    event: LineEvent
    row_id: int  # the inbox row (for logs)
    resident_id: str  # the LINE userId: personal data, only for the inbox's push address and ChatService
    resident_key: str
    save: SaveAnswer  # store the answer (and `also`, in the same transaction) while the claim holds
    db: Callable[[Callable[[Session], Any]], Awaitable[Any]]  # one transaction


Handler = Callable[["Answerer", Turn], Awaitable[Messages]]


class Answerer:
    """Answers one event. Holds the per-process state of answering: the flood limit and who was told to wait."""

    city_dir: Path | None = None  # the city's data folder: the areas 「登録情報」 offers

    def __init__(
        self,
        factory: sessionmaker[Session],
        chat: ChatService,
        line_client: LineClient,
        photos: PhotoSink | None,
        *,
        contact: str = "",
        retention_days: int = 30,
        rate_per_minute: int = 30,
        wording: Wording | None = None,
    ) -> None:
        self.factory = factory
        self.chat = chat
        self.line_client = line_client
        self.photos = photos
        self.contact = contact
        self.wording = wording or default_messages()  # the gateway's own texts (bot/messages.yml)
        self.retention_days = retention_days
        self._limiter = RateLimiter(rate_per_minute)  # per resident, in this process
        self._told_to_wait: set[str] = set()

    def rate_limited_reply(self, wait_s: float) -> str:
        """Told once when a resident sends more messages a minute than the gateway answers."""
        return self.wording.text("rate_limited", seconds=max(1, math.ceil(wait_s)))

    async def answer(
        self,
        event: LineEvent,
        row_id: int,
        save: SaveAnswer,
        db: Callable[[Callable[[Session], Any]], Awaitable[Any]],
    ) -> Messages:
        if event.source_type != "user":
            if not event.standby:
                await leave_group(self.line_client, event, self.wording.text("group_notice"))
            return []  # groups and rooms are not served
        resident_id = event.user_id
        if not resident_id:
            return []
        resident_key = self.chat.resident_key(CHANNEL, resident_id)
        turn = Turn(event, row_id, resident_id, resident_key, save, db)
        kind = kind_of(event)
        if event.standby:  # another channel answers this chat: nothing is said, nothing is asked of Rasa
            silent = SILENT_HANDLERS.get(kind)
            return await silent(self, turn) if silent else []
        if kind not in RECORD_THE_FRIENDSHIP:
            await db(lambda s: inbox.remember_user(s, resident_key, resident_id))
            wait = self._limiter.check(resident_key) if event.type in ("message", "postback") else 0.0
            if wait:  # a flood: no Rasa, no storage; the resident is told once per flood
                if resident_key in self._told_to_wait:
                    return []
                if len(self._told_to_wait) > 10_000:  # bounded like the limiter itself
                    self._told_to_wait.clear()
                self._told_to_wait.add(resident_key)
                return await save(lm.text_messages([self.rate_limited_reply(wait)]))
            self._told_to_wait.discard(resident_key)
        handler = HANDLERS.get(kind, on_unsupported if event.type == "message" else on_ignore)
        return await handler(self, turn)

    async def chat_turn(self, turn: Turn, text: str, metadata: dict[str, Any]) -> Messages:
        """Ask Rasa (through ChatService) with LINE's loading animation showing, and save its answer. An FAQ
        answer given in the middle of a report form gets no feedback card (it would take the form's buttons)."""
        meta = {"resident_key": turn.resident_key, **metadata}
        await self.line_client.show_loading(turn.resident_id)
        try:
            result = await self.chat.handle(
                CHANNEL, turn.resident_id, text, meta, line_message_id=turn.event.message_id
            )
        except ChatInputError as exc:
            return await turn.save(lm.text_messages([str(exc)]))
        in_form = bool(result.faq_id) and await self.open_question(turn) is not None
        messages = lm.result_messages(result.replies, result.faq_id, result.link, feedback=not in_form)
        messages, also = await survey_line.with_satisfaction(
            self.wording, turn, messages, lambda: self._not_now(turn, result.kind)
        )
        return await turn.save(messages, also)

    async def _not_now(self, turn: Turn, kind: str | None) -> bool:
        """No satisfaction question over the 'Rasa is down' notice or while a report form waits."""
        return kind == "unavailable" or await self.open_question(turn) is not None

    async def open_question(self, turn: Turn) -> dict[str, Any] | None:
        """The question a report form of this resident is waiting for, if one is."""
        return await turn.db(lambda s: conversations.report_question(s, turn.resident_key))  # type: ignore[no-any-return]

    async def remind_of_report(self, turn: Turn, first: str, otherwise: Messages) -> Messages:
        """`first`, then the open report question with its buttons; `otherwise` when no form is running."""
        question = await self.open_question(turn)
        if question is None:
            return await turn.save(otherwise)
        buttons = ((str(b.get("title", "")), str(b.get("payload", ""))) for b in question["buttons"])
        return await turn.save(lm.text_messages([first, question["text"]], lm.quick_reply(buttons)))


def kind_of(event: LineEvent) -> str:
    """The key into `HANDLERS`: the event type, and for messages the message type (`message/text`)."""
    return f"message/{event.message_type}" if event.type == "message" else event.type


def follow_greeting(wording: Wording, contact: str) -> list[str]:
    """The texts sent when a resident adds the account as a friend (greeting, how to use, privacy)."""
    texts = wording.texts_of("follow_greeting")
    if contact:
        texts[-1] += wording.text("follow_greeting_contact", contact=contact)
    return texts


async def on_follow(a: Answerer, turn: Turn) -> Messages:
    resident_key, resident_id = turn.resident_key, turn.resident_id
    return await turn.save(
        lm.text_messages(follow_greeting(a.wording, a.contact), lm.menu_quick_reply()),
        lambda s: inbox.remember_user(s, resident_key, resident_id, follow=True),
    )


async def on_unfollow(a: Answerer, turn: Turn) -> Messages:
    until = utcnow() + timedelta(days=a.retention_days)
    await turn.db(lambda s: inbox.mark_unfollowed(s, turn.resident_key, turn.resident_id, until))
    return []


async def on_postback(a: Answerer, turn: Turn) -> Messages:
    data = lm.decode_postback(turn.event.postback_data)
    surveys = await survey_line.postback_turn(a.wording, turn, data, a.city_dir)
    if surveys is not None:
        return surveys
    if data.get("a") == "fb":
        helpful = data.get("v") == "1"
        faq_id = data.get("faq") or None
        text = a.wording.text("feedback_thanks_yes" if helpful else "feedback_thanks_no")
        quick = None if helpful else lm.menu_quick_reply()
        return await turn.save(
            lm.text_messages([text], quick),
            lambda s: conversations.add_feedback(
                s, channel=CHANNEL, sender=turn.resident_key, faq_id=faq_id, helpful=helpful
            ),
        )
    if data.get("a") == "say" and data.get("t"):
        return await a.chat_turn(turn, data["t"], {})
    return []


async def on_follow_silently(a: Answerer, turn: Turn) -> Messages:
    """A follow in standby mode: remembered (pushes, retention), not greeted."""
    await turn.db(lambda s: inbox.remember_user(s, turn.resident_key, turn.resident_id, follow=True))
    return []


async def on_unsend(a: Answerer, turn: Turn) -> Messages:
    """The resident took a message back: its stored text and photo go, and it is not answered if it waits."""
    message_id = turn.event.unsent_message_id
    if message_id:
        await take_back(turn.db, a.photos, turn.resident_key, message_id)
    return []


async def on_sticker(a: Answerer, turn: Turn) -> Messages:
    generic = lm.text_messages([a.wording.text("sticker_reply")], lm.menu_quick_reply())
    return await a.remind_of_report(turn, a.wording.text("report_in_progress"), generic)


async def on_text(a: Answerer, turn: Turn) -> Messages:
    text = str(turn.event.message.get("text") or "")
    surveys = await survey_line.text_turn(a.wording, turn, text, a.city_dir)
    return surveys if surveys is not None else await a.chat_turn(turn, text, {})


async def on_location(a: Answerer, turn: Turn) -> Messages:
    msg = turn.event.message
    address = str(msg.get("address") or msg.get("title") or "").strip()
    place = {"lat": msg.get("latitude"), "lon": msg.get("longitude"), "address": address}
    return await a.chat_turn(turn, address or "[位置情報]", {"location": place})


async def on_image(a: Answerer, turn: Turn) -> Messages:
    message_id = turn.event.message_id
    if a.photos is None:  # no photo storage here: "send it again" could never work
        refused = a.wording.text("photos_not_accepted")
        return await a.remind_of_report(turn, refused, lm.text_messages([refused]))
    if not message_id:
        return await turn.save(lm.text_messages([a.wording.text("photo_failed_reply")]))
    try:
        data, content_type = await a.line_client.get_content(message_id)
    except LineApiError:  # gone (404) or refused: ask the resident to send it again
        log.warning("LINE event %s: image content unavailable", turn.row_id)
        return await turn.save(lm.text_messages([a.wording.text("photo_failed_reply")]))
    photos = a.photos
    try:
        stored = await anyio.to_thread.run_sync(
            lambda: photos.store_photo(data, content_type, owner=turn.resident_key)
        )
    except (ValueError, RuntimeError) as exc:  # refusal (Japanese message) or store unavailable
        message = getattr(exc, "message_ja", None) or str(exc)
        if not isinstance(exc, ValueError):  # the photo was fine but could not be written (disk full…)
            error = exc
            await anyio.to_thread.run_sync(lambda: _alert_photo_store(a.factory, error))
        return await turn.save(lm.text_messages([message]))
    photo_id = _photo_id(stored)
    await turn.db(lambda s: inbox.note_photo(s, turn.row_id, photo_id))  # for an `unsend`
    return await a.chat_turn(turn, "[写真]", {"photo_ids": [photo_id]})


async def on_unsupported(a: Answerer, turn: Turn) -> Messages:
    """A message type madoguchi does not read (video, audio, file…): during a report, a photo is asked for."""
    generic = lm.text_messages([a.wording.text("unsupported_reply")], lm.menu_quick_reply())
    return await a.remind_of_report(turn, a.wording.text("media_during_report"), generic)


async def on_ignore(a: Answerer, turn: Turn) -> Messages:
    """An event that needs no answer (beacon, account link, …)."""
    return []


HANDLERS: dict[str, Handler] = {
    "follow": on_follow,
    "unfollow": on_unfollow,
    "postback": on_postback,
    "message/sticker": on_sticker,
    "message/text": on_text,
    "message/location": on_location,
    "message/image": on_image,
    "unsend": on_unsend,
}
# kinds whose handler records the friendship itself: no `remember_user` before them, no flood limit
RECORD_THE_FRIENDSHIP = frozenset({"follow", "unfollow", "unsend"})
# what still happens in standby mode: bookkeeping, never an answer
SILENT_HANDLERS: dict[str, Handler] = {
    "follow": on_follow_silently,
    "unfollow": on_unfollow,
    "unsend": on_unsend,
}


def _photo_id(stored: Any) -> str:
    return stored if isinstance(stored, str) else str(stored.photo_id)


def _alert_photo_store(factory: sessionmaker[Session], exc: Exception) -> None:
    """Tell staff (dashboard alert) that a LINE photo could not be stored; the resident goes on without it."""
    record_staff_alert(
        factory,
        "photo_store_unavailable",
        "写真を保存できませんでした(ディスクの空き・権限を確認してください)",
        {"error": str(exc)[:300], "channel": CHANNEL},
    )
