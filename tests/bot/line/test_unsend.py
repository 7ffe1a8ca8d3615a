"""A resident unsends a LINE message (issue 17, item 13): its stored text and photo go, and a message still
waiting in the inbox is never answered."""

from __future__ import annotations

from pathlib import Path

import anyio
from sqlalchemy import select

from bot.chat import ChatService
from bot.line.inbox import LineInbox
from bot.line.worker import LineOptions, LineWorker
from bot.reports.photos import PhotoStore
from bot.storage import conversations
from bot.storage import line_inbox as inbox
from bot.storage.db import transaction
from bot.storage.line_inbox import LineInboxRow
from bot.storage.models import Message, Unanswered
from channels.line.client import LineClient
from channels.line.events import from_dict
from channels.line.fake import FakeLine, event, text_event
from tests.support.line import ACCESS_TOKEN, FAST, StubRasa
from tests.support.reports import jpeg_with_exif

SECRET = "test-secret-key-not-for-production"
USER = "U" + "7" * 32


def _run(factory, fake: FakeLine, photos: PhotoStore | None, *events: dict) -> StubRasa:  # type: ignore[no-untyped-def]
    rasa = StubRasa()
    chat = ChatService(factory, rasa, SECRET)  # type: ignore[arg-type]

    async def go() -> None:
        accept = LineInbox(factory, lambda uid: chat.resident_key("line", uid)).accept
        async with LineClient(ACCESS_TOKEN, fake.base_url, fake.base_url, FAST) as client:
            worker = LineWorker(factory, chat, client, photos, LineOptions(poll_s=0.05, policy=FAST))
            for raw in events:
                await accept([from_dict(raw)])
                await worker.run_until_idle()

    anyio.run(go)
    return rasa


def test_an_unsent_message_and_its_photo_are_forgotten(factory, fake_line: FakeLine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photos = PhotoStore(tmp_path / "photos")
    fake_line.contents["m-photo"] = (jpeg_with_exif(), "image/jpeg")
    key = ChatService(factory, StubRasa(), SECRET).resident_key("line", USER)  # type: ignore[arg-type]
    _run(
        factory,
        fake_line,
        photos,
        text_event("090-1234-5678 の田中です、道に穴", USER, message_id="m-text"),
        text_event("ごみの日", USER, message_id="m-keep"),
        event("message", USER, message={"type": "image", "id": "m-photo"}),
    )
    with factory() as session:
        stored = {
            m.line_message_id for m in session.scalars(select(Message).where(Message.direction == "in"))
        }
        photo_id = session.scalar(select(LineInboxRow.photo_id).where(LineInboxRow.message_id == "m-photo"))
        conversations.log_unanswered(
            session, text="090-1234-5678 の田中です、道に穴", channel="line", sender=key, reason="unknown",
            candidates=[],
        )  # fmt: skip
        session.commit()
    assert stored == {"m-text", "m-keep", "m-photo"} and photo_id and photos.path_for(photo_id)
    _run(
        factory,
        fake_line,
        photos,
        event("unsend", USER, unsend={"messageId": "m-text"}),
        event("unsend", USER, unsend={"messageId": "m-photo"}),
    )
    with factory() as session:
        left = [m.line_message_id for m in session.scalars(select(Message).where(Message.direction == "in"))]
        unanswered = session.scalars(select(Unanswered)).all()
    assert left == ["m-keep"] and unanswered == []
    assert photos.path_for(photo_id) is None and not (tmp_path / "photos" / f"{photo_id}.json").exists()
    assert len(fake_line.delivered) == 3  # the unsends themselves are not answered


def test_an_unsent_message_still_waiting_is_never_answered(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    rasa = StubRasa()
    chat = ChatService(factory, rasa, SECRET)  # type: ignore[arg-type]

    async def store(raw: dict) -> None:
        await LineInbox(factory, lambda uid: chat.resident_key("line", uid)).accept([from_dict(raw)])

    anyio.run(store, text_event("さっきの間違いです", USER, message_id="m-wait"))
    with transaction(factory) as session:  # waiting for a retry (say Rasa was down a moment ago)
        [row] = inbox.claim(session, "earlier-worker", 30)
        inbox.retry_later(session, row.id, "earlier-worker", 60, "Rasa unavailable")
    rasa = _run(factory, fake_line, None, event("unsend", USER, unsend={"messageId": "m-wait"}))
    with factory() as session:
        row = session.scalar(select(LineInboxRow).where(LineInboxRow.message_id == "m-wait"))
    assert row is not None and row.status == inbox.DONE and row.payload is None
    assert rasa.calls == [] and fake_line.delivered == []
