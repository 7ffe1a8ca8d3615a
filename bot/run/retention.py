"""Personal data retention: delete what madoguchi no longer needs, on a schedule (docs/privacy.md).

`run_retention(factory, settings, now)` deletes, each after its own period (settings, in days):

* `messages` and `feedback` older than `retention_messages_days` (180), and then the remembered `preferences`
  of residents with no message left (silent that long);
* LINE inbox rows received longer ago than that (normally cleared within days; this catches an inbox no worker
  drains, e.g. a channel without an access token);
* the `unanswered` log older than `retention_unanswered_days` (365);
* photo files of reports closed (対応済み / 対象外 / 重複) longer ago than `retention_closed_report_photos_days`
  (365): the JPEG and its `.json` beside it are deleted, the `report_photos` row is kept with `deleted_at` set
  (the case itself is an administrative record and stays);
* photos uploaded but never attached to a report, after `ORPHAN_PHOTO_DAYS`;
* residents who unfollowed the LINE account longer ago than `retention_unfollowed_line_days` (30): their LINE
  user id, conversation, feedback and preferences (`forget_resident`);
* Rasa's tracker-store events (raw conversation events, same database or `rasa_tracker.db`) older than
  `retention_messages_days`;
* console sign-in attempts (staff username and IP address) older than `retention_login_attempts_days` (90),
  and staff sessions that have expired (nobody can use them any more; they held the staff member's IP
  address and browser).

It is idempotent and safe to run from several processes at once. The gateway runs it daily
(`install(app)`); `madoguchi retention run` runs it by hand.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy import Engine, delete, func, inspect, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot.run.jobs import Schedule, install_periodic
from bot.services import services_of
from bot.settings import Settings
from bot.storage import line_inbox, profiles
from bot.storage.accounts import SESSION_IDLE, SESSION_MAX, LoginAttempt, StaffSession
from bot.storage.citydata import ReminderDelivery, ReminderSubscription
from bot.storage.db import make_engine, transaction, utcnow
from bot.storage.line_inbox import LineInboxRow, LineUser
from bot.storage.models import Feedback, Message, Preference, Unanswered
from bot.storage.reports import CLOSED_STATUSES, Report, ReportEvent, ReportPhoto
from bot.storage.surveys import SatisfactionAsk

log = logging.getLogger(__name__)

ORPHAN_PHOTO_DAYS = 7  # a photo uploaded for a report form that was never submitted
FIRST_RUN_DELAY_S = 300.0  # after start-up, let the service settle first
INTERVAL_S = 24 * 3600.0
RETRY_S = 3600.0


@dataclass
class RetentionCounts:
    messages: int = 0
    feedback: int = 0
    preferences: int = 0
    line_inbox: int = 0
    unanswered: int = 0
    report_photos: int = 0  # rows marked deleted (their files removed)
    orphan_photos: int = 0
    line_users: int = 0
    tracker_events: int = 0
    login_attempts: int = 0
    staff_sessions: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    @property
    def total(self) -> int:
        return sum(self.__dict__.values())


def _older_than(days: int, now: datetime) -> datetime:
    return now - timedelta(days=days)


def _rowcount(result: Any) -> int:
    """Rows a DELETE/UPDATE touched (a CursorResult; typed as Result by SQLAlchemy's stubs)."""
    return int(getattr(result, "rowcount", 0) or 0)


def _delete_old(factory: sessionmaker[Session], model: Any, column: Any, cutoff: datetime) -> int:
    with transaction(factory) as session:
        return _rowcount(session.execute(delete(model).where(column < cutoff)))


def purge_silent_preferences(factory: sessionmaker[Session], cutoff: datetime) -> int:
    """Remembered choices (e.g. the garbage area) of residents with no message since `cutoff`."""
    spoke = select(Message.id).where(Message.sender == Preference.sender).exists()
    with transaction(factory) as session:
        query = delete(Preference).where(Preference.updated_at < cutoff, ~spoke)
        result = session.execute(query.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)


def purge_stale_line_inbox(factory: sessionmaker[Session], cutoff: datetime) -> int:
    return _delete_old(factory, LineInboxRow, LineInboxRow.received_at, cutoff)


def _photo_files(root: Path, photo_id: str) -> list[Path]:
    return [root / f"{photo_id}.jpg", root / f"{photo_id}.json", root / f"{photo_id}.tmp"]


def purge_closed_report_photos(
    factory: sessionmaker[Session], photos_root: Path, cutoff: datetime, now: datetime
) -> int:
    """Delete the photo files of reports closed before `cutoff`; mark their rows. Returns rows marked."""
    with transaction(factory) as session:
        closed_at = (
            select(ReportEvent.report_id, func.max(ReportEvent.created_at).label("at"))
            .where(ReportEvent.status_to.in_(CLOSED_STATUSES))
            .group_by(ReportEvent.report_id)
            .subquery()
        )
        rows = session.execute(
            select(ReportPhoto.id, ReportPhoto.photo_id)
            .join(Report, Report.id == ReportPhoto.report_id)
            .outerjoin(closed_at, closed_at.c.report_id == Report.id)
            .where(
                Report.status.in_(CLOSED_STATUSES),
                ReportPhoto.deleted_at.is_(None),
                func.coalesce(closed_at.c.at, Report.updated_at) < cutoff,
            )
        ).all()
    marked = 0
    for row_id, photo_id in rows:
        # Files first: a crash between the two leaves the row unmarked and the next run finishes the job.
        for path in _photo_files(photos_root, photo_id):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        with transaction(factory) as session:
            marked += _rowcount(
                session.execute(
                    update(ReportPhoto)
                    .where(ReportPhoto.id == row_id, ReportPhoto.deleted_at.is_(None))
                    .values(deleted_at=now)
                )
            )
    return marked


def purge_orphan_photos(factory: sessionmaker[Session], photos_root: Path, now: datetime) -> int:
    """Photos never attached to a report, older than `ORPHAN_PHOTO_DAYS` (by file time)."""
    if not photos_root.is_dir():
        return 0
    cutoff_s = time.time() - (utcnow() - now).total_seconds() - ORPHAN_PHOTO_DAYS * 86400
    candidates = {p.stem: p for p in photos_root.glob("*.jpg") if p.stat().st_mtime < cutoff_s}
    if not candidates:
        return 0
    with factory() as session:
        attached = set(
            session.scalars(select(ReportPhoto.photo_id).where(ReportPhoto.photo_id.in_(list(candidates))))
        )
    removed = 0
    for photo_id in set(candidates) - attached:
        for path in _photo_files(photos_root, photo_id):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        removed += 1
    return removed


def forget_resident(session: Session, resident_key: str) -> None:
    """Delete what madoguchi keeps about one LINE resident (LINE id, conversation, feedback, preferences,
    reminder subscriptions, the 「登録情報」 profile and when the satisfaction question was last asked)."""
    line_inbox.forget_user(session, resident_key)
    profiles.delete_profile(session, resident_key)  # also clears what survey analytics copied of it
    session.execute(delete(SatisfactionAsk).where(SatisfactionAsk.sender == resident_key))
    for model in (Message, Feedback, Preference):
        session.execute(delete(model).where(model.sender == resident_key))
    mine = select(ReminderSubscription.id).where(ReminderSubscription.sender == resident_key)
    session.execute(delete(ReminderDelivery).where(ReminderDelivery.subscription_id.in_(mine)))
    session.execute(delete(ReminderSubscription).where(ReminderSubscription.sender == resident_key))
    log.info("LINE resident %s forgotten after the retention period", resident_key[:12])


def purge_unfollowed_line_users(factory: sessionmaker[Session], cutoff: datetime, now: datetime) -> int:
    with transaction(factory) as session:
        due = list(
            session.scalars(
                select(LineUser.pseudonym).where(
                    LineUser.followed.is_(False),
                    ((LineUser.unfollowed_at.is_not(None)) & (LineUser.unfollowed_at < cutoff))
                    | ((LineUser.delete_after.is_not(None)) & (LineUser.delete_after <= now)),
                )
            )
        )
        for resident_key in due:
            forget_resident(session, resident_key)
    return len(due)


def _tracker_engine(settings: Settings, factory: sessionmaker[Session]) -> tuple[Engine | None, bool]:
    """Rasa's tracker store: the gateway's PostgreSQL database, or `rasa_tracker.db` beside the SQLite one."""
    url = settings.db_url
    if url.startswith("postgres"):
        return factory.kw["bind"], False
    path = Path(settings.data_dir) / "rasa_tracker.db"
    if not path.exists():
        return None, False
    return make_engine(f"sqlite:///{path.resolve()}"), True


def purge_tracker_events(
    settings: Settings, factory: sessionmaker[Session], cutoff: datetime, now: datetime
) -> int:
    engine, owned = _tracker_engine(settings, factory)
    if engine is None:
        return 0
    try:
        if not inspect(engine).has_table("events"):
            return 0
        cutoff_ts = time.time() - (utcnow() - cutoff).total_seconds()
        with engine.begin() as conn:
            return int(
                conn.execute(text('DELETE FROM events WHERE "timestamp" < :ts'), {"ts": cutoff_ts}).rowcount
                or 0
            )
    finally:
        if owned:
            engine.dispose()


def purge_expired_staff_sessions(factory: sessionmaker[Session], now: datetime) -> int:
    """Sessions past their idle or absolute limit: `load_session` refuses them, so they only hold an address."""
    with transaction(factory) as session:
        idle = StaffSession.last_seen_at < now - SESSION_IDLE
        too_old = StaffSession.created_at < now - SESSION_MAX
        return _rowcount(session.execute(delete(StaffSession).where(idle | too_old)))


def run_retention(
    factory: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> dict[str, int]:
    """Apply every retention period once; returns how much was deleted, per kind."""
    now = now or utcnow()
    counts = RetentionCounts()
    messages_cutoff = _older_than(settings.retention_messages_days, now)
    counts.messages = _delete_old(factory, Message, Message.created_at, messages_cutoff)
    counts.feedback = _delete_old(factory, Feedback, Feedback.created_at, messages_cutoff)
    counts.preferences = purge_silent_preferences(factory, messages_cutoff)
    counts.line_inbox = purge_stale_line_inbox(factory, messages_cutoff)
    counts.unanswered = _delete_old(
        factory, Unanswered, Unanswered.created_at, _older_than(settings.retention_unanswered_days, now)
    )
    photos_root = Path(settings.uploads_dir) / "photos"
    counts.report_photos = purge_closed_report_photos(
        factory, photos_root, _older_than(settings.retention_closed_report_photos_days, now), now
    )
    counts.orphan_photos = purge_orphan_photos(factory, photos_root, now)
    counts.line_users = purge_unfollowed_line_users(
        factory, _older_than(settings.retention_unfollowed_line_days, now), now
    )
    try:
        counts.tracker_events = purge_tracker_events(settings, factory, messages_cutoff, now)
    except Exception:  # Rasa's schema is not ours: never let it stop the rest
        log.exception("retention: could not purge Rasa tracker events")
    counts.login_attempts = _delete_old(
        factory, LoginAttempt, LoginAttempt.at, _older_than(settings.retention_login_attempts_days, now)
    )
    counts.staff_sessions = purge_expired_staff_sessions(factory, now)
    result = counts.as_dict()
    log.info("retention run: %s", result)
    return result


def install(app: Any) -> None:
    """Run retention daily in the gateway (first run `FIRST_RUN_DELAY_S` after start-up)."""

    async def run(app: Any) -> None:
        services = services_of(app)
        await anyio.to_thread.run_sync(lambda: run_retention(services.factory, services.settings))

    install_periodic(app, "retention", run, lambda: Schedule(FIRST_RUN_DELAY_S, INTERVAL_S, retry_s=RETRY_S))
