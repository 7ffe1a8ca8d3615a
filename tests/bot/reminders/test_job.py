"""The gateway's reminder job: scheduled with the app, pushes over LINE once per subscription and date."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import create_app
from bot.reminders import job as reminder_job
from bot.services import services_of
from bot.storage import citydata, line_inbox
from bot.storage.db import transaction
from channels.line.fake import FakeLine
from tests.support.line import ACCESS_TOKEN, line_settings

WEDNESDAY_EVENING = datetime(2026, 9, 16, 18, 0)  # Thursday 17th is 燃やすごみ in 中央地区 (demo city)


@pytest.fixture
def fake_line() -> Iterator[FakeLine]:
    with FakeLine(access_token=ACCESS_TOKEN) as fake:
        yield fake


def app_with_subscribers(tmp_path: Path, fake: FakeLine | None):  # type: ignore[no-untyped-def]
    app = create_app(line_settings(tmp_path, fake, clock=WEDNESDAY_EVENING))
    factory = services_of(app).factory
    with transaction(factory) as session:
        line_inbox.remember_user(session, "line-friend", "U" + "1" * 32, follow=True)
        line_inbox.remember_user(session, "line-gone", "U" + "2" * 32, follow=True)
        citydata.subscribe(session, sender="s1", sender_ref="line-friend", kind="garbage", area="中央地区")
        citydata.subscribe(session, sender="s2", sender_ref="line-gone", kind="garbage", area="中央地区")
    with transaction(factory) as session:
        line_inbox.mark_unfollowed(session, "line-gone", "U" + "2" * 32, WEDNESDAY_EVENING)
    return app


def test_job_is_scheduled_with_the_app(tmp_path: Path) -> None:
    app = create_app(line_settings(tmp_path, None))
    names = [hook.__qualname__ for hook in app.state.startup_hooks]
    assert any("install_periodic" in name for name in names), names
    assert reminder_job.SCHEDULE.interval_s <= 600  # reminders go out within minutes of the evening start


def test_pushes_tomorrows_collection_once_to_followed_residents(tmp_path: Path, fake_line: FakeLine) -> None:
    app = app_with_subscribers(tmp_path, fake_line)
    first = asyncio.run(reminder_job.run_once(app))
    assert first is not None and len(first.sent) == 1 and len(first.failed) == 1  # the unfollowed one
    pushes = fake_line.calls_of("push")
    assert len(pushes) == 1 and pushes[0].json["to"] == "U" + "1" * 32
    text = pushes[0].json["messages"][0]["text"]
    assert "明日9月17日（木）" in text and "燃やすごみ" in text and "中央地区" in text
    again = asyncio.run(reminder_job.run_once(app))
    assert again is not None and again.sent == []
    assert len(fake_line.calls_of("push")) == 1


def test_without_line_configured_nothing_runs(tmp_path: Path) -> None:
    app = app_with_subscribers(tmp_path, None)
    app.state.services.settings.line_channel_access_token = type(
        app.state.services.settings.line_channel_access_token
    )("")
    assert asyncio.run(reminder_job.run_once(app)) is None


def test_a_used_up_allowance_pauses_reminders_instead_of_retrying_all_evening(
    tmp_path: Path, fake_line: FakeLine
) -> None:
    """Issue 17, item 11: a monthly-limit 429 was retried (five times) every five minutes until midnight."""
    app = app_with_subscribers(tmp_path, fake_line)
    fake_line.quota = 0
    first = asyncio.run(reminder_job.run_once(app))
    assert first is not None and first.paused and first.sent == []
    assert [c.status for c in fake_line.calls_of("push")] == [429]  # one try, not a retry loop
    for _ in range(3):  # the next runs, five minutes apart: not one call to LINE
        later = asyncio.run(reminder_job.run_once(app))
        assert later is not None and later.paused
    assert len(fake_line.calls) == 1
    factory = services_of(app).factory
    with factory() as session:
        rows = session.query(citydata.ReminderDelivery).all()
    assert [(r.status, r.attempts) for r in rows] == [("pending", 0)]  # kept for when pushes resume
