"""Retention (`bot.run.retention`): every kind of personal data goes after its configured period and nothing
sooner, on SQLite and PostgreSQL; the gateway runs it on a schedule; `madoguchi retention run` by hand."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from privacy_support import privacy_settings
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

import bot.run.retention
from bot.app import create_app
from bot.cli import app as cli
from bot.run.retention import run_retention
from bot.settings import Settings
from bot.storage.accounts import LoginAttempt, StaffSession, StaffUser
from bot.storage.citydata import ReminderDelivery, ReminderSubscription
from bot.storage.db import make_engine, migrate, session_factory, transaction, utcnow
from bot.storage.line_inbox import LineInboxRow, LineUser
from bot.storage.models import Feedback, Message, Preference, Unanswered
from bot.storage.profiles import ResidentProfile
from bot.storage.reports import Report, ReportEvent, ReportPhoto
from bot.storage.surveys import SatisfactionAsk

DAY = timedelta(days=1)


def ago(now: datetime, days: float) -> datetime:
    return now - days * DAY


def message(sender: str, at: datetime) -> Message:
    return Message(
        channel=sender.split("-")[0], sender=sender, direction="in", text="ごみの日", created_at=at
    )


def report(number: int, status: str, at: datetime, closed_at: datetime | None) -> Report:
    return Report(
        case_number=f"R-2025-{number:06d}",
        category="road_damage",
        department="道路維持課",
        description="穴があいています",
        status=status,
        reporter="web-reporter",
        created_at=at,
        updated_at=closed_at or at,
    )


class Tracker:
    """Rasa's tracker table (`events`): in the gateway's PostgreSQL database, or `rasa_tracker.db` beside
    the SQLite one, as the launcher configures Rasa."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.owned = not settings.db_url.startswith("postgres")
        url = f"sqlite:///{settings.data_dir / 'rasa_tracker.db'}"
        self.engine = make_engine(url) if self.owned else engine
        key = "integer primary key" if self.owned else "serial primary key"
        with self.engine.begin() as conn:
            conn.execute(
                text(f'CREATE TABLE events (id {key}, sender_id text, type_name text, "timestamp" float)')
            )

    def add(self, sender: str, at: datetime) -> None:
        stamp = time.time() - (utcnow() - at).total_seconds()
        with self.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO events (sender_id, type_name, \"timestamp\") VALUES (:s, 'user', :t)"),
                {"s": sender, "t": stamp},
            )

    def senders(self) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(conn.execute(text("SELECT sender_id FROM events")).scalars())

    def close(self) -> None:
        if self.owned:
            self.engine.dispose()


def photo(root: Path, photo_id: str, age_days: float = 0) -> None:
    for suffix in (".jpg", ".json"):
        path = root / f"{photo_id}{suffix}"
        path.write_bytes(
            b"\xff\xd8\xff" if suffix == ".jpg" else b'{"owner": "web-reporter", "gps": [35, 139]}'
        )
        stamp = time.time() - age_days * 86400
        os.utime(path, (stamp, stamp))


def photos_left(root: Path) -> set[str]:
    return {p.name for p in root.iterdir()}


def count(factory: sessionmaker[Session], model: Any, *where: Any) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@pytest.fixture
def store(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    settings = privacy_settings(tmp_path, db_url)
    settings.ensure_dirs()
    migrate(settings.db_url)
    engine = make_engine(settings.db_url)
    tracker = Tracker(settings, engine)
    yield settings, session_factory(engine), tracker
    tracker.close()
    engine.dispose()


P = {name: f"{i:032x}" for i, name in enumerate(["closed_long_ago", "closed_lately", "open", "no_event", "orphan_old", "orphan_new"], start=1)}  # fmt: skip


def seed(settings: Settings, factory: sessionmaker[Session], tracker: Tracker, now: datetime) -> None:
    photos = settings.uploads_dir / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    with transaction(factory) as s:
        s.add_all([message("web-old", ago(now, 181)), message("web-new", ago(now, 10))])
        s.add_all([message("line-gone", ago(now, 2)), message("line-recent", ago(now, 2))])
        s.add_all(
            [
                Feedback(channel="web", sender="web-old", helpful=True, created_at=ago(now, 181)),
                Feedback(channel="web", sender="web-new", helpful=False, created_at=ago(now, 1)),
                Feedback(channel="line", sender="line-gone", helpful=True, created_at=ago(now, 1)),
            ]
        )
        s.add_all(
            [
                Unanswered(text="花火はできますか", sender="web-old", created_at=ago(now, 366)),
                Unanswered(text="年金の切り替え", sender="web-new", created_at=ago(now, 200)),
            ]
        )
        for sender, updated in (("web-silent", 200), ("web-new", 300), ("web-fresh", 2), ("line-gone", 1)):
            s.add(
                Preference(sender=sender, key="garbage_area", value="中央地区", updated_at=ago(now, updated))
            )
        for key, received, user in (
            ("old", 181, "line-x"),
            ("new", 1, "line-recent"),
            ("gone", 1, "line-gone"),
        ):
            s.add(
                LineInboxRow(
                    event_id=f"E-{key}", event_type="message", user_key=user, status="pending",
                    payload={"source": {"userId": "U" + key}}, received_at=ago(now, received),
                )
            )  # fmt: skip
        s.add_all(
            [
                LineUser(pseudonym="line-gone", user_id="U" + "1" * 32, followed=False,
                         unfollowed_at=ago(now, 31), delete_after=ago(now, 1)),
                LineUser(pseudonym="line-recent", user_id="U" + "2" * 32, followed=False,
                         unfollowed_at=ago(now, 5), delete_after=now + 25 * DAY),
                LineUser(pseudonym="line-active", user_id="U" + "3" * 32, followed=True),
            ]
        )  # fmt: skip
        subscription = ReminderSubscription(
            sender="line-gone", sender_ref="line-gone", kind="garbage", area="中央地区"
        )
        s.add(subscription)
        s.flush()
        s.add(ReminderDelivery(subscription_id=subscription.id, target_date=now.date()))
        for resident in ("line-gone", "line-recent"):  # 「登録情報」 and the satisfaction question's last ask
            s.add(ResidentProfile(sender=resident, age_group="30代", area="中央地区", consent_version=1,
                                  consented_at=ago(now, 40)))  # fmt: skip
            s.add(SatisfactionAsk(sender=resident, asked_at=ago(now, 40)))
        cases = [
            (1, "対応済み", ago(now, 500), ago(now, 400), "closed_long_ago"),
            (2, "対象外", ago(now, 300), ago(now, 100), "closed_lately"),
            (3, "受付", ago(now, 500), None, "open"),
            (
                4,
                "重複",
                ago(now, 500),
                None,
                "no_event",
            ),  # closed without an event (e.g. imported): updated_at
        ]
        for number, status, created, closed, name in cases:
            case = report(number, status, created, closed)
            if name == "no_event":
                case.updated_at = ago(now, 400)
            s.add(case)
            s.flush()
            s.add(ReportEvent(report_id=case.id, status_to="受付", created_at=created))
            if closed:
                s.add(ReportEvent(report_id=case.id, status_from="受付", status_to=status, created_at=closed))
            s.add(ReportPhoto(report_id=case.id, photo_id=P[name], created_at=created))
            photo(photos, P[name], age_days=(now - created).days)
    photo(photos, P["orphan_old"], age_days=8)
    photo(photos, P["orphan_new"], age_days=1)
    tracker.add("web-old", ago(now, 181))
    tracker.add("web-new", ago(now, 1))
    with transaction(factory) as s:
        staff = StaffUser(username="koho", password_hash="x", role="editor")
        s.add(staff)
        s.flush()
        s.add_all(
            [
                LoginAttempt(username="koho", ip="192.0.2.10", success=True, at=ago(now, 91)),
                LoginAttempt(username="koho", ip="192.0.2.11", success=False, at=ago(now, 10)),
            ]
        )
        hour = timedelta(hours=1)
        for token, created, seen in (
            ("idle-too-long", now - 3 * hour, now - 3 * hour),  # idle limit 2 h
            ("too-old", now - 13 * hour, now - hour / 12),  # absolute limit 12 h, though active
            ("live", now - hour, now - hour / 6),
        ):
            s.add(StaffSession(token_hash=token, user_id=staff.id, csrf_token="c", ip="192.0.2.10",
                               created_at=created, last_seen_at=seen))  # fmt: skip


def test_each_kind_goes_after_its_period_and_not_before(store) -> None:  # type: ignore[no-untyped-def]
    settings, factory, tracker = store
    now = utcnow()
    seed(settings, factory, tracker, now)
    photos = settings.uploads_dir / "photos"

    counts = run_retention(factory, settings, now)

    assert counts == {
        "messages": 1,
        "feedback": 1,
        "preferences": 1,
        "line_inbox": 1,
        "unanswered": 1,
        "report_photos": 2,
        "orphan_photos": 1,
        "line_users": 1,
        "tracker_events": 1,
        "login_attempts": 1,
        "staff_sessions": 2,
    }
    with factory() as s:
        assert sorted(s.scalars(select(Message.sender))) == ["line-recent", "web-new"]
        assert list(s.scalars(select(Feedback.sender))) == ["web-new"]
        assert list(s.scalars(select(Unanswered.sender))) == ["web-new"]  # 200 days: the log keeps a year
        assert sorted(s.scalars(select(Preference.sender))) == ["web-fresh", "web-new"]
        assert sorted(s.scalars(select(LineUser.pseudonym))) == ["line-active", "line-recent"]
        assert list(s.scalars(select(ResidentProfile.sender))) == ["line-recent"]
        assert list(s.scalars(select(SatisfactionAsk.sender))) == ["line-recent"]
        inbox = {row.event_id: row.payload for row in s.scalars(select(LineInboxRow))}
        assert inbox == {"E-new": {"source": {"userId": "Unew"}}, "E-gone": None}
        assert s.scalar(select(func.count()).select_from(ReminderSubscription)) == 0
        assert s.scalar(select(func.count()).select_from(ReminderDelivery)) == 0
        deleted = {row.photo_id: row.deleted_at is not None for row in s.scalars(select(ReportPhoto))}
        assert s.scalar(select(func.count()).select_from(Report)) == 4  # the cases themselves are records
    assert deleted == {
        P["closed_long_ago"]: True,
        P["closed_lately"]: False,
        P["open"]: False,
        P["no_event"]: True,
    }
    kept = {P[name] for name in ("closed_lately", "open", "orphan_new")}
    assert photos_left(photos) == {f"{pid}{suffix}" for pid in kept for suffix in (".jpg", ".json")}
    assert tracker.senders() == ["web-new"]
    with factory() as s:
        assert list(s.scalars(select(LoginAttempt.ip))) == ["192.0.2.11"]
        assert list(s.scalars(select(StaffSession.token_hash))) == ["live"]
        assert list(s.scalars(select(StaffUser.username))) == ["koho"]  # accounts are the city's to remove

    assert all(n == 0 for n in run_retention(factory, settings, now).values())  # idempotent


def test_periods_are_configurable(tmp_path: Path) -> None:
    settings = privacy_settings(
        tmp_path,
        retention_messages_days=7,
        retention_unanswered_days=30,
        retention_closed_report_photos_days=60,
        retention_unfollowed_line_days=3,
        retention_login_attempts_days=5,
    )
    settings.ensure_dirs()
    migrate(settings.db_url)
    engine = make_engine(settings.db_url)
    factory = session_factory(engine)
    tracker = Tracker(settings, engine)
    now = utcnow()
    seed(settings, factory, tracker, now)
    counts = run_retention(factory, settings, now)
    # 10-day-old message, 200-day-old question, photo of a case closed 100 days ago, resident unfollowed 5 days ago
    assert count(factory, Message) == 0 and count(factory, Unanswered) == 0
    assert count(factory, ReportPhoto, ReportPhoto.deleted_at.is_(None)) == 1  # only the open case's photo
    assert count(factory, LineUser) == 1 and counts["line_users"] == 2
    assert count(factory, LoginAttempt) == 0  # 10 days old
    tracker.close()
    engine.dispose()


def test_settings_refuse_a_period_under_a_day(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        privacy_settings(tmp_path, retention_messages_days=0)


def test_the_gateway_runs_retention_on_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        bot.run.retention, "FIRST_RUN_DELAY_S", 0.05
    )  # production: 5 minutes after start, then daily
    settings = privacy_settings(tmp_path)
    app = create_app(settings)
    factory = app.state.services.factory
    now = utcnow()
    with transaction(factory) as s:
        s.add_all([message("web-old", ago(now, 200)), message("web-new", ago(now, 1))])
    assert count(factory, Message) == 2
    with TestClient(app):
        deadline = time.monotonic() + 10
        while count(factory, Message) == 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [m.sender for m in _messages(factory)] == ["web-new"]
    app.state.services.engine.dispose()


def _messages(factory: sessionmaker[Session]) -> list[Message]:
    with factory() as s:
        return list(s.scalars(select(Message)))


def test_cli_runs_retention_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_ENV", "test")
    monkeypatch.setenv("MADOGUCHI_RETENTION_MESSAGES_DAYS", "30")
    settings = privacy_settings(tmp_path)
    settings.ensure_dirs()
    migrate(settings.db_url)
    engine = make_engine(settings.db_url)
    now = utcnow()
    with transaction(session_factory(engine)) as s:
        s.add_all([message("web-old", ago(now, 31)), message("web-new", ago(now, 29))])
    engine.dispose()
    result = CliRunner().invoke(cli, ["retention", "run", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["messages"] == 1
    result = CliRunner().invoke(cli, ["retention", "run"])
    assert "メッセージ 30日" in result.output and "messages: 0 件削除" in result.output
