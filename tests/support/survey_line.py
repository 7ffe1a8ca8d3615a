"""Talking to the LINE handlers as residents do, for the survey, profile and satisfaction tests on LINE
(tests/bot/surveys/test_line_*.py, test_talk.py, test_registration.py): events go through
`Answerer.answer` with the worker's save and transaction, without a webhook; the answers come back as the
LINE messages a resident would see. A published survey with one question of every kind is made through the
survey service, as staff would."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.chat import ChatService
from bot.line.handlers import Answerer
from bot.storage.db import transaction
from bot.surveys import service
from bot.surveys.definition import parse_definition
from channels.line.client import LineClient
from channels.line.events import from_dict
from channels.line.fake import event, text_event
from tests.support.line import ACCESS_TOKEN, FAST, StubRasa

SECRET = "test-secret-key-not-for-production"
CITY_DIR = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "city"  # 8 areas (中央地区 …)
Messages = list[dict[str, Any]]

QUESTIONS: list[dict[str, Any]] = [
    {"kind": "single", "text": "市の窓口をどのくらい利用しますか", "choices": ["月1回以上", "年に数回", "ほとんどない"]},
    {"kind": "multi", "text": "よく使う手続きを選んでください", "choices": ["住民票", "ごみ", "子育て", "税金"]},
    {"kind": "rating", "text": "窓口の対応の満足度"},
    {"kind": "text", "text": "ご意見・ご要望", "required": False},
]  # fmt: skip


def make_survey(
    factory: sessionmaker[Session],
    *,
    title: str = "窓口サービスのアンケート",
    anonymous: bool = False,
    questions: list[dict[str, Any]] | None = None,
    publish: bool = True,
) -> int:
    now = datetime.now(UTC)
    definition = parse_definition(
        {
            "title": title,
            "intro": "市の窓口について、ご意見をお聞かせください。",
            "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=14)).isoformat(),
            "anonymous": anonymous,
            "questions": questions if questions is not None else QUESTIONS,
        }
    )
    with transaction(factory) as session:
        row = service.create_survey(session, definition, "editor1")
        if publish:
            service.publish(session, row.id, "editor1")
        return row.id


class Resident:
    """One LINE user talking to the handlers; `last` is the last answer."""

    def __init__(self, talker: Talker, user_id: str) -> None:
        self.talker, self.user_id = talker, user_id
        self.last: Messages = []

    @property
    def key(self) -> str:
        return self.talker.answerer.chat.resident_key("line", self.user_id)

    def say(self, text: str) -> Messages:
        self.last = self.talker.answer(text_event(text, self.user_id))
        return self.last

    def tap(self, data: str) -> Messages:
        self.last = self.talker.answer(event("postback", self.user_id, postback={"data": data}))
        return self.last

    def choose(self, label: str) -> Messages:
        """Tap the quick reply (or card button) of the last answer labelled `label`."""
        return self.tap(postback_of(self.last, label))


class Talker:
    def __init__(self, factory: sessionmaker[Session], rasa: StubRasa | None = None) -> None:
        self.factory = factory
        self.rasa = rasa or StubRasa()
        chat = ChatService(factory, self.rasa, SECRET)  # type: ignore[arg-type]
        self.answerer = Answerer(factory, chat, None, None)  # type: ignore[arg-type]
        self.answerer.city_dir = CITY_DIR

    def resident(self, n: int) -> Resident:
        return Resident(self, f"U{n:032d}")

    def answer(self, raw: dict[str, Any]) -> Messages:
        factory = self.factory

        async def save(messages: Messages, also: Callable[[Session], Any] | None = None) -> Messages:
            with transaction(factory) as session:
                if also is not None:
                    also(session)
            return messages

        async def db(fn: Callable[[Session], Any]) -> Any:
            with transaction(factory) as session:
                return fn(session)

        async def go() -> Messages:
            base = "http://127.0.0.1:9"  # nothing listens: the loading animation is given up at once
            async with LineClient(ACCESS_TOKEN, base, base, FAST) as line_client:
                self.answerer.line_client = line_client
                return await self.answerer.answer(from_dict(raw), 1, save, db)

        return asyncio.run(go())


def texts(messages: Messages) -> list[str]:
    return [m["text"] for m in messages if m.get("type") == "text"]


def said(messages: Messages) -> str:
    return "\n".join(texts(messages))


def choices(messages: Messages) -> list[str]:
    """The labels of the last message's quick replies (what the resident can tap)."""
    items = (messages[-1].get("quickReply") or {}).get("items") or [] if messages else []
    return [i["action"]["label"] for i in items]


def postback_of(messages: Messages, label: str) -> str:
    """The postback data of the quick reply or card button labelled `label`."""
    for m in messages:
        actions = [i["action"] for i in (m.get("quickReply") or {}).get("items") or []]
        actions += (m.get("template") or {}).get("actions") or []
        for action in actions:
            if action.get("label") == label and action.get("type") == "postback":
                return str(action["data"])
    raise AssertionError(f"no button {label!r} in {choices(messages)}")
