"""Resident reports (通報): cases, their photos, every status change, the yearly case-number sequence, and
alerts for staff. Business rules (transitions, duplicates, notifications) live in `bot.reports`.

Publication (Open311): nothing of a case is public until staff reviewed it (`publish`); what is then public is
the text staff approved (`public_description`, `public_note`), never the resident's own words or the notes staff
write to the resident."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from bot.storage.db import Base, utcnow

# Statuses, in Japanese because staff and residents see them as they are.
RECEIVED = "受付"
CHECKING = "確認中"
SCHEDULED = "対応予定"
DONE = "対応済み"
OUT_OF_SCOPE = "対象外"
DUPLICATE = "重複"
STATUSES = (RECEIVED, CHECKING, SCHEDULED, DONE, OUT_OF_SCOPE, DUPLICATE)
OPEN_STATUSES = (RECEIVED, CHECKING, SCHEDULED)
CLOSED_STATUSES = (DONE, OUT_OF_SCOPE, DUPLICATE)


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_category_status_created", "category", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(String(20), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(128), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    address_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=RECEIVED, index=True)
    reporter: Mapped[str] = mapped_column(String(64), index=True)  # resident key, never a raw LINE id
    reporter_ref: Mapped[str] = mapped_column(String(128), default="")  # opaque, for pushes
    channel: Mapped[str] = mapped_column(String(16), default="web")
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), nullable=True)
    probable_duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Publication (migration 0008_open311_public): set when staff reviewed the case for Open311, else NULL
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    published_by: Mapped[str] = mapped_column(String(128), default="")
    public_description: Mapped[str] = mapped_column(Text, default="")  # the text staff approved
    public_address: Mapped[str] = mapped_column(Text, default="")
    public_note: Mapped[str] = mapped_column(Text, default="")  # for the public, not the staff notes


class ReportPhoto(Base):
    __tablename__ = "report_photos"
    __table_args__ = (UniqueConstraint("report_id", "photo_id", name="uq_report_photos_report_photo"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    photo_id: Mapped[str] = mapped_column(String(64), index=True)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)  # only reviewed photos are ever public
    reviewed_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # retention (bot/run/retention.py, migration 0006_photo_retention): when the file was deleted, else NULL
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ReportEvent(Base):
    """One status change (or the creation): who, when, from what to what, with the note shown to the resident."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    status_from: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status_to: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(128), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ReportSequence(Base):
    """The last case number given out in one year (R-YYYY-NNNNNN)."""

    __tablename__ = "report_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class StaffAlert(Base):
    """Something staff must look at (a photo that could not be stored…); the dashboard counts the open ones."""

    __tablename__ = "staff_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


def next_case_number(session: Session, year: int) -> str:
    """Take the next number of `year` inside the caller's transaction (row lock on PostgreSQL, the database
    lock on SQLite), so two reports never share a number and a rolled-back report gives its number back."""
    for _ in range(3):
        bumped = session.execute(
            update(ReportSequence)
            .where(ReportSequence.year == year)
            .values(last_value=ReportSequence.last_value + 1)
        )
        if bumped.rowcount:  # type: ignore[attr-defined]
            value = session.scalar(select(ReportSequence.last_value).where(ReportSequence.year == year))
            return f"R-{year:04d}-{int(value or 0):06d}"
        try:
            with session.begin_nested():
                session.add(ReportSequence(year=year, last_value=0))
        except IntegrityError:
            pass  # another transaction created the year's row first; bump it on the next pass
    raise RuntimeError(f"could not allocate a case number for {year}")


def get_by_case_number(session: Session, case_number: str) -> Report | None:
    return session.scalar(select(Report).where(Report.case_number == case_number.strip().upper()))


def photos_of(session: Session, report_id: int) -> list[ReportPhoto]:
    return list(
        session.scalars(
            select(ReportPhoto).where(ReportPhoto.report_id == report_id).order_by(ReportPhoto.id)
        )
    )


def history(session: Session, report_id: int) -> list[ReportEvent]:
    """Every event of a report, oldest first."""
    return list(
        session.scalars(
            select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.id)
        )
    )


def latest_note(session: Session, report_id: int) -> str:
    return (
        session.scalar(
            select(ReportEvent.note)
            .where(ReportEvent.report_id == report_id, ReportEvent.note != "")
            .order_by(ReportEvent.id.desc())
            .limit(1)
        )
        or ""
    )


def by_resident_key(session: Session, resident_key: str, limit: int = 5) -> list[Report]:
    """A resident's newest reports (the `reporter` column holds the resident key)."""
    return list(
        session.scalars(
            select(Report).where(Report.reporter == resident_key).order_by(Report.id.desc()).limit(limit)
        )
    )


def list_reports(
    session: Session,
    *,
    department: str | None = None,
    status: str | None = None,
    category: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = 500,
) -> list[Report]:
    """Staff view: newest first, filtered by department / status / category / creation time [start, end)."""
    query = select(Report).order_by(Report.id.desc())
    if department:
        query = query.where(Report.department == department)
    if status:
        query = query.where(Report.status == status)
    if category:
        query = query.where(Report.category == category)
    if start is not None:
        query = query.where(Report.created_at >= start)
    if end is not None:
        query = query.where(Report.created_at < end)
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


@dataclass(frozen=True)
class PublishedCase:
    """A published report with what its public view needs: the case it duplicates and its first photo that
    staff reviewed (and retention has not deleted)."""

    report: Report
    duplicate_case: str | None
    photo_id: str | None


def published_cases(
    session: Session,
    *,
    case_numbers: Collection[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: Collection[str] = (),
    categories: Collection[str] = (),
    limit: int = 1000,
) -> list[PublishedCase]:
    """Published reports, newest first, in one SQL statement whatever their number. `case_numbers` picks cases
    (the other filters are then ignored); else creation time in [start, end], status and category filter."""
    target = aliased(Report)
    photo = (
        select(ReportPhoto.photo_id)
        .where(
            ReportPhoto.report_id == Report.id,
            ReportPhoto.reviewed.is_(True),
            ReportPhoto.deleted_at.is_(None),
        )
        .order_by(ReportPhoto.id)
        .limit(1)
        .correlate(Report)
        .scalar_subquery()
    )
    query = (
        select(Report, target.case_number, photo)
        .outerjoin(target, Report.duplicate_of == target.id)
        .where(Report.published_at.is_not(None))
        .order_by(Report.id.desc())
        .limit(limit)
    )
    if case_numbers:
        query = query.where(Report.case_number.in_([c.strip().upper() for c in case_numbers]))
    else:
        if start is not None:
            query = query.where(Report.created_at >= start)
        if end is not None:
            query = query.where(Report.created_at <= end)
        if statuses:
            query = query.where(Report.status.in_(list(statuses)))
        if categories:
            query = query.where(Report.category.in_(list(categories)))
    return [PublishedCase(report, dup, photo_id) for report, dup, photo_id in session.execute(query)]


def publish(
    session: Session, report_id: int, *, actor: str, description: str, address: str = "", note: str = ""
) -> Report | None:
    """Staff reviewed the case: publish it with the text they approved, or update that text."""
    report = session.get(Report, report_id)
    if report is None:
        return None
    if report.published_at is None:
        report.published_at = utcnow()
    report.published_by = actor
    report.public_description = description.strip()
    report.public_address = address.strip()
    report.public_note = note.strip()
    return report


def withdraw(session: Session, report_id: int) -> Report | None:
    """Take the case out of Open311. The approved text and who approved it stay, for a later re-publication."""
    report = session.get(Report, report_id)
    if report is not None:
        report.published_at = None
    return report


def add_alert(session: Session, kind: str, message: str, details: dict | None = None) -> StaffAlert:
    alert = StaffAlert(kind=kind, message=message, details=details)
    session.add(alert)
    session.flush()
    return alert


def open_alert_counts(session: Session) -> dict[str, int]:
    """Unresolved staff alerts per kind (for the admin dashboard)."""
    rows = session.execute(
        select(StaffAlert.kind, func.count())
        .where(StaffAlert.resolved_at.is_(None))
        .group_by(StaffAlert.kind)
    )
    return {kind: int(n) for kind, n in rows}
