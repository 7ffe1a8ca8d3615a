"""LINE tables: the durable webhook inbox (dedupe, leases, progress), LINE users (pseudonym -> LINE id) and the
month's LINE usage (pushes spent on late answers, fallback texts, whether the message allowance ran out).

Inbox life cycle: `pending` -> claimed (`processing`, claim token + lease expiry) -> `done` | `failed`, with
`stage` recording progress inside processing (`received` -> `answered` (outbox saved) -> `replying` [->
`pushing` when the reply failed] -> `sent`), so a resumed event neither asks Rasa twice nor answers twice. Every write after the claim is fenced by
the claim token: a worker whose lease expired and was taken over can no longer change the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CursorResult,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.storage.db import Base, utcnow

PENDING, PROCESSING, DONE, FAILED = "pending", "processing", "done", "failed"


class LineInboxRow(Base):
    __tablename__ = "line_inbox"
    __table_args__ = (Index("ix_line_inbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)  # webhookEventId
    message_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    event_type: Mapped[str] = mapped_column(String(32))
    user_key: Mapped[str] = mapped_column(String(64), default="", index=True)  # pseudonym, never the LINE id
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    stage: Mapped[str] = mapped_column(String(16), default="received")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(36), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    event_ts_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    redelivered: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict | None] = mapped_column(nullable=True)  # raw event; cleared when done
    outbox: Mapped[list | None] = mapped_column(nullable=True)  # LINE messages to send, once answered
    last_error: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    photo_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # stored from this image message


class LineUser(Base):
    """The only place the raw LINE user id is kept: needed to push, deleted after unfollow + retention."""

    __tablename__ = "line_users"

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), unique=True)
    followed: Mapped[bool] = mapped_column(Boolean, default=True)
    followed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    unfollowed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    delete_after: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class LineUsage(Base):
    """One row per month (Japan time, LINE's billing month): what staff see on the dashboard."""

    __tablename__ = "line_usage"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2027-01"
    late_pushes: Mapped[int] = mapped_column(
        Integer, default=0
    )  # answers pushed: the reply token had expired
    fallback_texts: Mapped[int] = mapped_column(Integer, default=0)  # LINE refused an answer (400)
    quota_exhausted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    quota_checked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database {dialect}")


# Inbox ------------------------------------------------------------------------------------------------------


def enqueue(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert events in one statement, skipping any whose `event_id` or `message_id` is already stored (or comes
    twice in `rows`); returns the `event_id`s that were new."""
    if not rows:
        return set()
    table = LineInboxRow.__table__
    # one statement compiled once and cached, run with all the rows (SQLAlchemy's "insertmanyvalues"): about
    # 3x cheaper than a fresh multi-VALUES statement per batch (measured: 25 rows 3.7 ms vs 11 ms on SQLite)
    stmt = (
        _insert(session, table)
        .on_conflict_do_nothing()
        .returning(table.c.event_id, sort_by_parameter_order=False)
    )
    return {event_id for (event_id,) in session.execute(stmt, list(rows)).all()}


def backlog(session: Session) -> int:
    """Events not answered yet (pending or being processed): what a health check reports."""
    stmt = select(func.count()).where(LineInboxRow.status.in_((PENDING, PROCESSING)))
    return int(session.execute(stmt).scalar_one())


def _claimable(now: datetime) -> Any:
    return or_(
        and_(LineInboxRow.status == PENDING, LineInboxRow.next_attempt_at <= now),
        and_(LineInboxRow.status == PROCESSING, LineInboxRow.lease_until < now),
    )


def claim(
    session: Session, token: str, lease_s: float, limit: int = 20, now: datetime | None = None
) -> list[LineInboxRow]:
    """Claim up to `limit` due events (pending, or processing with an expired lease) for this claim token.

    Compare-and-set per row (`UPDATE … WHERE id = ? AND <still claimable>`): when two workers race for a row
    only one update matches. Events of a resident whose earlier event is still leased elsewhere are left for
    later, so one resident's messages are answered in order.
    """
    now = now or utcnow()
    busy = set(
        session.scalars(
            select(LineInboxRow.user_key).where(
                LineInboxRow.status == PROCESSING,
                LineInboxRow.lease_until >= now,
                LineInboxRow.user_key != "",
            )
        )
    )
    candidates = session.execute(
        select(LineInboxRow.id, LineInboxRow.user_key)
        .where(_claimable(now))
        .order_by(LineInboxRow.id)
        .limit(limit * 3)
    ).all()
    ids: list[int] = []
    for row_id, user_key in candidates:
        if user_key and user_key in busy:
            continue
        result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(LineInboxRow)
            .where(LineInboxRow.id == row_id, _claimable(now))
            .values(
                status=PROCESSING,
                claim_token=token,
                lease_until=now + timedelta(seconds=lease_s),
                attempts=LineInboxRow.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            ids.append(row_id)
        if len(ids) >= limit:
            break
    session.flush()
    if not ids:
        return []
    return list(
        session.scalars(
            select(LineInboxRow)
            .where(LineInboxRow.id.in_(ids), LineInboxRow.claim_token == token)
            .order_by(LineInboxRow.id)
        )
    )


def _fenced(session: Session, row_id: int, token: str, **values: Any) -> bool:
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(LineInboxRow)
        .where(
            LineInboxRow.id == row_id, LineInboxRow.claim_token == token, LineInboxRow.status == PROCESSING
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def renew(session: Session, row_id: int, token: str, lease_s: float) -> bool:
    """Extend the lease; False when the event is no longer ours."""
    return _fenced(session, row_id, token, lease_until=utcnow() + timedelta(seconds=lease_s))


def save_outbox(session: Session, row_id: int, token: str, messages: list[dict[str, Any]]) -> bool:
    return _fenced(session, row_id, token, outbox=messages, stage="answered")


def set_stage(session: Session, row_id: int, token: str, stage: str) -> bool:
    return _fenced(session, row_id, token, stage=stage)


def complete(session: Session, row_id: int, token: str) -> bool:
    """Done: the raw event (LINE user id, text) and the outbox are dropped; ids stay for deduplication."""
    return _fenced(
        session,
        row_id,
        token,
        status=DONE,
        stage="sent",
        claim_token=None,
        lease_until=None,
        payload=None,
        outbox=None,
        done_at=utcnow(),
        last_error="",
    )


def retry_later(
    session: Session, row_id: int, token: str, delay_s: float, error: str, spent: bool = True
) -> bool:
    """Back to pending for `delay_s`; `spent=False`: the attempt does not count (held, not failing)."""
    attempts = LineInboxRow.attempts if spent else LineInboxRow.attempts - 1
    return _fenced(
        session,
        row_id,
        token,
        status=PENDING,
        claim_token=None,
        lease_until=None,
        attempts=attempts,
        next_attempt_at=utcnow() + timedelta(seconds=delay_s),
        last_error=error[:2000],
    )


def fail(session: Session, row_id: int, token: str, error: str) -> bool:
    return _fenced(
        session,
        row_id,
        token,
        status=FAILED,
        claim_token=None,
        lease_until=None,
        payload=None,
        outbox=None,
        done_at=utcnow(),
        last_error=error[:2000],
    )


def release(session: Session, token: str) -> int:
    """Give back every event claimed with `token` (graceful shutdown); progress (`stage`) is kept."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(LineInboxRow)
        .where(LineInboxRow.claim_token == token, LineInboxRow.status == PROCESSING)
        .values(status=PENDING, claim_token=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def note_photo(session: Session, row_id: int, photo_id: str) -> None:
    """Remember the photo stored from this event's image, so that an `unsend` can delete it."""
    session.execute(update(LineInboxRow).where(LineInboxRow.id == row_id).values(photo_id=photo_id))


def take_back(session: Session, user_key: str, message_id: str) -> tuple[bool, str | None]:
    """The resident unsent message `message_id`: drop its event if it still waits (not claimed yet) and
    forget its text. Returns (dropped, the id of the photo stored from it, if any)."""
    row = session.scalar(
        select(LineInboxRow).where(LineInboxRow.message_id == message_id, LineInboxRow.user_key == user_key)
    )
    if row is None:
        return False, None
    dropped = row.status == PENDING
    if dropped:
        row.status, row.done_at, row.last_error = DONE, utcnow(), "unsent by the resident"
    if row.status != PROCESSING:
        row.payload = row.outbox = None
    photo_id, row.photo_id = row.photo_id, None
    session.flush()
    return dropped, photo_id


def purge_finished(session: Session, older_than: datetime) -> int:
    """Forget finished events (after LINE's redelivery window has long passed)."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(LineInboxRow).where(LineInboxRow.status.in_((DONE, FAILED)), LineInboxRow.done_at < older_than)
    )
    return result.rowcount or 0


# LINE users -------------------------------------------------------------------------------------------------


def remember_user(session: Session, pseudonym: str, user_id: str, *, follow: bool = False) -> None:
    """Record the LINE id behind a pseudonym; `follow` (re)activates pushes and cancels a scheduled deletion."""
    row = session.get(LineUser, pseudonym)
    now = utcnow()
    if row is None:
        session.add(LineUser(pseudonym=pseudonym, user_id=user_id, followed=True, followed_at=now))
    elif follow or row.user_id != user_id:
        row.user_id = user_id
        row.followed = True
        row.followed_at = now if follow else row.followed_at
        row.unfollowed_at = None
        row.delete_after = None
    session.flush()


def mark_unfollowed(session: Session, pseudonym: str, user_id: str, delete_after: datetime) -> None:
    row = session.get(LineUser, pseudonym)
    now = utcnow()
    if row is None:
        row = LineUser(pseudonym=pseudonym, user_id=user_id)
        session.add(row)
    row.followed = False
    row.unfollowed_at = now
    row.delete_after = delete_after
    session.flush()


def push_target(session: Session, pseudonym: str) -> str | None:
    """The LINE user id to push to, or None when unknown or unfollowed."""
    return session.scalar(
        select(LineUser.user_id).where(LineUser.pseudonym == pseudonym, LineUser.followed.is_(True))
    )


def due_for_deletion(session: Session, now: datetime | None = None) -> list[str]:
    now = now or utcnow()
    return list(
        session.scalars(
            select(LineUser.pseudonym).where(
                LineUser.followed.is_(False), LineUser.delete_after.is_not(None), LineUser.delete_after <= now
            )
        )
    )


def forget_user(session: Session, pseudonym: str) -> None:
    session.execute(delete(LineUser).where(LineUser.pseudonym == pseudonym))
    session.execute(
        update(LineInboxRow)
        .where(LineInboxRow.user_key == pseudonym)
        .values(payload=None, outbox=None)
        .execution_options(synchronize_session=False)
    )


# LINE usage -------------------------------------------------------------------------------------------------


def usage(session: Session, month: str) -> LineUsage | None:
    return session.get(LineUsage, month)


def count_usage(session: Session, month: str, *, late_pushes: int = 0, fallback_texts: int = 0) -> None:
    """Add to the month's counters (one statement: concurrent workers never lose a count)."""
    table = LineUsage.__table__
    stmt = _insert(session, table).values(
        month=month, late_pushes=late_pushes, fallback_texts=fallback_texts, updated_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.month],
        set_={
            "late_pushes": table.c.late_pushes + late_pushes,
            "fallback_texts": table.c.fallback_texts + fallback_texts,
            "updated_at": utcnow(),
        },
    )
    session.execute(stmt)


def set_quota_state(session: Session, month: str, *, exhausted: bool, now: datetime) -> bool:
    """Record whether the month's message allowance is used up (and when this was checked); True when
    it was not known to be used up before (the moment to tell staff)."""
    count_usage(session, month)  # make sure the row exists
    row = session.get(LineUsage, month, populate_existing=True)
    assert row is not None
    newly = exhausted and row.quota_exhausted_at is None
    row.quota_exhausted_at = (row.quota_exhausted_at or now) if exhausted else None
    row.quota_checked_at = now
    session.flush()
    return newly
