"""Surveys for the web-form tests (tests/bot/api/test_surveys_web.py, tests/browser/test_survey_web_browser.py):
a published survey with one question of every kind, made through the survey service as staff would."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.storage.db import transaction
from bot.surveys import service
from bot.surveys.definition import parse_definition

QUESTIONS: list[dict[str, Any]] = [
    {"kind": "single", "text": "市の窓口をどのくらい利用しますか", "choices": ["月1回以上", "年に数回", "ほとんどない"]},
    {"kind": "multi", "text": "よく使う手続きを選んでください", "choices": ["住民票", "ごみ", "子育て", "税金"]},
    {"kind": "rating", "text": "窓口の対応の満足度", "required": True},
    {"kind": "text", "text": "ご意見・ご要望", "required": False},
]  # fmt: skip


def definition(
    *, title: str = "市民サービス満足度調査", anonymous: bool = False, opens: timedelta = timedelta(days=-1),
    closes: timedelta = timedelta(days=14), questions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    now = datetime.now(UTC)
    return {
        "title": title,
        "intro": "市の窓口サービスについて、ご意見をお聞かせください。\n所要時間は2分ほどです。",
        "opens_at": (now + opens).isoformat(),
        "closes_at": (now + closes).isoformat(),
        "anonymous": anonymous,
        "questions": questions if questions is not None else QUESTIONS,
    }


def make_survey(factory: sessionmaker[Session], *, publish: bool = True, **kwargs: Any) -> int:
    with transaction(factory) as session:
        row = service.create_survey(session, parse_definition(definition(**kwargs)), "editor1")
        if publish:
            service.publish(session, row.id, "editor1")
        return row.id


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "the form has no CSRF field"
    return found.group(1)
