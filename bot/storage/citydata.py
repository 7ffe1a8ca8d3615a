"""Structured city data in the database: imported datasets, snowplow positions, reminder subscriptions.

- ``city_datasets``: the files of one import (garbage 5374 set, clinic roster, departments, snowplow
  areas) stored whole, validated by the ``knowledge`` loaders before the row is written; the newest
  row per kind is live in every process (see :mod:`bot.live_citydata`).
- ``snowplow_positions``: GPS fixes posted by plow vehicles (UTC, naive).
- ``reminder_subscriptions``: residents who asked for a push the evening before collection day
  (``garbage``) or when their area has been plowed (``snowplow``).
- ``reminder_deliveries``: the sent-log making reminders idempotent per (subscription, date).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.storage.db import Base, utcnow
from knowledge.snowplow import Position

DATASET_KINDS = ("garbage", "clinics", "departments", "snowplow_areas")
REMINDER_KINDS = ("garbage", "snowplow")


class CityDataset(Base):
    __tablename__ = "city_datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    files: Mapped[dict] = mapped_column()  # {file name: text}
    sha256: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128), default="cli")
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SnowplowPosition(Base):
    __tablename__ = "snowplow_positions"
    __table_args__ = (
        UniqueConstraint("vehicle_id", "recorded_at", name="uq_snowplow_positions_vehicle_time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vehicle_id: Mapped[str] = mapped_column(String(64))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC, naive
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ReminderSubscription(Base):
    __tablename__ = "reminder_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(64), index=True)  # pseudonym
    sender_ref: Mapped[str] = mapped_column(String(128))  # opaque push address
    kind: Mapped[str] = mapped_column(String(16))  # garbage | snowplow
    area: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)


class ReminderDelivery(Base):
    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "target_date", name="uq_reminder_deliveries_sub_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("reminder_subscriptions.id", ondelete="CASCADE"))
    target_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


# ----------------------------------------------------------------------------- datasets


def dataset_digest(files: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(files, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def save_dataset(session: Session, kind: str, files: dict[str, str], actor: str = "cli") -> CityDataset:
    """Store an already validated dataset; it becomes live when the session commits."""
    if kind not in DATASET_KINDS:
        raise ValueError(f"unknown dataset kind: {kind}")
    row = CityDataset(kind=kind, files=dict(files), sha256=dataset_digest(files), actor=actor)
    session.add(row)
    session.flush()
    return row


def latest_dataset(session: Session, kind: str) -> CityDataset | None:
    return session.scalar(
        select(CityDataset).where(CityDataset.kind == kind).order_by(CityDataset.id.desc()).limit(1)
    )


def datasets_revision(session: Session) -> int:
    """Changes whenever any dataset is imported (the newest id)."""
    return int(session.scalar(select(func.max(CityDataset.id))) or 0)


# ----------------------------------------------------------------------------- snowplow


def add_positions(session: Session, positions: Iterable[Position]) -> int:
    """Store fixes (timestamps converted to naive UTC); a repeated (vehicle, time) is ignored. Returns new rows."""
    added = 0
    for p in positions:
        recorded = to_naive_utc(p.timestamp)
        exists = session.scalar(
            select(SnowplowPosition.id).where(
                SnowplowPosition.vehicle_id == p.vehicle_id, SnowplowPosition.recorded_at == recorded
            )
        )
        if exists is None:
            session.add(SnowplowPosition(vehicle_id=p.vehicle_id, lat=p.lat, lon=p.lon, recorded_at=recorded))
            added += 1
    session.flush()
    return added


def positions_since(
    session: Session, since_utc: datetime, until_utc: datetime | None = None
) -> list[Position]:
    """Fixes recorded from ``since_utc`` up to ``until_utc`` (naive UTC in and out), oldest first."""
    query = select(SnowplowPosition).where(SnowplowPosition.recorded_at >= to_naive_utc(since_utc))
    if until_utc is not None:
        query = query.where(SnowplowPosition.recorded_at <= to_naive_utc(until_utc))
    rows = session.scalars(query.order_by(SnowplowPosition.recorded_at))
    return [Position(r.vehicle_id, r.lat, r.lon, r.recorded_at) for r in rows]


def to_naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


# ----------------------------------------------------------------------------- reminders


def subscribe(
    session: Session, *, sender: str, sender_ref: str, kind: str, area: str
) -> tuple[ReminderSubscription, bool]:
    """The resident's active subscription of ``kind`` set to ``area``; True when newly created or changed."""
    if kind not in REMINDER_KINDS:
        raise ValueError(f"unknown reminder kind: {kind}")
    current = active_subscription(session, sender, kind)
    if current is not None:
        if current.area == area and current.sender_ref == sender_ref:
            return current, False
        current.cancelled_at = utcnow()
    row = ReminderSubscription(sender=sender, sender_ref=sender_ref, kind=kind, area=area)
    session.add(row)
    session.flush()
    return row, True


def active_subscription(session: Session, sender: str, kind: str) -> ReminderSubscription | None:
    return session.scalar(
        select(ReminderSubscription).where(
            ReminderSubscription.sender == sender,
            ReminderSubscription.kind == kind,
            ReminderSubscription.cancelled_at.is_(None),
        )
    )


def unsubscribe(session: Session, *, sender: str, kind: str | None = None) -> int:
    """Cancel the resident's active subscriptions (of one kind or all); returns how many."""
    query = select(ReminderSubscription).where(
        ReminderSubscription.sender == sender, ReminderSubscription.cancelled_at.is_(None)
    )
    if kind:
        query = query.where(ReminderSubscription.kind == kind)
    rows = list(session.scalars(query))
    for row in rows:
        row.cancelled_at = utcnow()
    return len(rows)


def active_subscriptions(session: Session, kind: str) -> list[ReminderSubscription]:
    return list(
        session.scalars(
            select(ReminderSubscription)
            .where(ReminderSubscription.kind == kind, ReminderSubscription.cancelled_at.is_(None))
            .order_by(ReminderSubscription.id)
        )
    )


def claim_delivery(session: Session, subscription_id: int, target_date: date) -> ReminderDelivery | None:
    """The delivery row to send now, or None when it was already sent.

    A new row is inserted as ``pending`` (the unique constraint makes two concurrent runs agree);
    a ``pending``/``failed`` row left by an earlier run is returned for a retry.
    """
    row = session.scalar(
        select(ReminderDelivery).where(
            ReminderDelivery.subscription_id == subscription_id, ReminderDelivery.target_date == target_date
        )
    )
    if row is not None:
        return None if row.status == "sent" else row
    row = ReminderDelivery(subscription_id=subscription_id, target_date=target_date)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # another run claimed it a moment ago
    return row
