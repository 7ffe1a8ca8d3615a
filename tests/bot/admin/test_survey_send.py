"""Sending a survey on LINE from the console: the count and cost first, a dry run, then the push (fake LINE API)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot.services import services_of
from bot.settings import Settings, load_settings
from bot.storage.accounts import AuditLog
from bot.storage.db import transaction
from bot.storage.line_inbox import LineUser
from bot.storage.profiles import set_profile
from bot.surveys import service
from bot.surveys.definition import parse_definition
from channels.line.fake import FakeLine
from tests.support.admin import CHEAP_PASSWORD_COST, csrf_of
from tests.support.line import ACCESS_TOKEN

NOW = datetime.now(UTC)


@pytest.fixture
def admin_settings(admin_settings: Settings, fake_line: FakeLine) -> Settings:
    """The console's settings with LINE pointed at the fake LINE API."""
    return load_settings(
        data_dir=admin_settings.data_dir,
        embedder="hashing",
        env="test",
        secret_key="test-secret-key-not-for-production",
        rasa_port=9,
        actions_port=9,
        database_url=admin_settings.database_url,
        LINE_CHANNEL_SECRET="test-channel-secret",
        LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
        LINE_API_BASE_URL=fake_line.base_url,
        LINE_DATA_API_BASE_URL=fake_line.base_url,
        **CHEAP_PASSWORD_COST,
    )


def seeded(admin_app: FastAPI) -> int:
    definition = parse_definition(
        {
            "title": "ごみ出しアンケート",
            "intro": "",
            "opens_at": (NOW - timedelta(days=1)).isoformat(),
            "closes_at": (NOW + timedelta(days=3)).isoformat(),
            "anonymous": False,
            "questions": [{"kind": "rating", "text": "満足度"}],
        }
    )
    with transaction(services_of(admin_app).factory) as session:
        for n, age in enumerate(["30代", "30代", "70代"]):
            session.add(LineUser(pseudonym=f"line-{n}", user_id=f"U{n:032d}", followed=True))
            set_profile(session, f"line-{n}", age_group=age, area=None)
        survey_id = service.create_survey(session, definition, "editor").id
        service.publish(session, survey_id, "editor")
    return survey_id


def test_count_and_cost_then_dry_run_then_send(client_for, admin_app: FastAPI, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    survey_id = seeded(admin_app)
    editor = client_for("editor")
    page = editor.get(f"/admin/surveys/{survey_id}/send")
    assert page.status_code == 200 and "送り先の選び方" in page.text
    bad = editor.get(f"/admin/surveys/{survey_id}/send?kind=age&age_value=")
    assert bad.status_code == 400 and "年代を選んでください" in bad.text
    plan = editor.get(f"/admin/surveys/{survey_id}/send?kind=age&age_value=30代")
    assert (
        '<strong class="recipients">2人</strong>' in plan.text
        and '<strong class="messages">2通</strong>' in plan.text
    )
    assert fake_line.calls_of("push") == []

    token = csrf_of(editor, f"/admin/surveys/{survey_id}/send")
    segment = {"csrf_token": token, "kind": "age", "age_value": "30代"}
    dry = editor.post(f"/admin/surveys/{survey_id}/send", data={**segment, "action": "dry_run"})
    assert dry.status_code == 200 and "ドライランの結果(送信していません)" in dry.text
    assert fake_line.calls_of("push") == []
    sent = editor.post(f"/admin/surveys/{survey_id}/send", data={**segment, "action": "send"})
    assert sent.status_code == 200 and "送信 2人" in sent.text
    assert len(fake_line.calls_of("push")) == 2
    with services_of(admin_app).factory() as session:
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.action.like("survey.push%")).order_by(AuditLog.id)
        ).all()
    assert actions == ["survey.push_dry_run", "survey.push"]
