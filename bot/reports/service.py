"""Resident reports, the case rules: submit (case number, routing, probable duplicate), the status lifecycle
with its history (telling a LINE resident after each change), and the resident's own cases.

Around it: `bot.reports.duplicates` (what counts as the same report), `bot.reports.notifications` (the LINE
message and its resend), `bot.reports.spool` (never lose a report when the database is down),
`bot.reports.export` (CSV / GeoJSON); storage in `bot.storage.reports`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.reports.categories import CategoryTable
from bot.reports.duplicates import find_probable_duplicate
from bot.reports.notifications import Notifier, mark_notified, push_status, status_message, wording_of
from bot.storage import reports as repo
from bot.storage.db import transaction, utcnow
from bot.storage.reports import (
    CHECKING,
    DONE,
    DUPLICATE,
    OUT_OF_SCOPE,
    RECEIVED,
    SCHEDULED,
    Report,
    ReportEvent,
    ReportPhoto,
)
from knowledge.clock import CityClock, to_city_time

log = logging.getLogger(__name__)
MAX_PHOTOS = 3

# Which status may follow which. Closed cases can be reopened (to 確認中) when staff got it wrong.
TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({CHECKING, SCHEDULED, DONE, OUT_OF_SCOPE, DUPLICATE}),
    CHECKING: frozenset({SCHEDULED, DONE, OUT_OF_SCOPE, DUPLICATE}),
    SCHEDULED: frozenset({CHECKING, DONE, OUT_OF_SCOPE}),
    DONE: frozenset({CHECKING}),
    OUT_OF_SCOPE: frozenset({CHECKING}),
    DUPLICATE: frozenset({CHECKING}),
}
# Reasons staff pick for 対象外 (free text is accepted too).
OUT_OF_SCOPE_REASONS = (
    "私有地",
    "県道・国道(管理者が異なります)",
    "民間施設",
    "電力会社・通信会社の設備",
    "警察の所管",
)


class TransitionError(ValueError):
    """A status change the rules do not allow; the message is for staff (Japanese and English)."""


@dataclass
class ReportDraft:
    """A report before it is filed. `reporter` / `reporter_ref` are the columns of the same name: the
    resident key and the opaque push reference."""

    category: str
    description: str
    reporter: str
    channel: str = "web"
    reporter_ref: str = ""
    lat: float | None = None
    lon: float | None = None
    address_text: str = ""
    photo_ids: list[str] = field(default_factory=list)


@dataclass
class SubmitOutcome:
    report_id: int
    case_number: str
    department: str
    probable_duplicate_of: str | None = None  # case number of the similar open report


def submit_report(
    session: Session, draft: ReportDraft, categories: CategoryTable, clock: CityClock | None = None
) -> SubmitOutcome:
    """Create the case in the caller's transaction: case number, department, probable duplicate, photos,
    and the first history event. `clock` (default: real time) dates it and gives its case number's year."""
    now = (clock or CityClock()).utc_now()
    cat = categories.get(draft.category)
    duplicate = find_probable_duplicate(session, categories, cat.code, draft.lat, draft.lon, now=now)
    report = Report(
        case_number=repo.next_case_number(session, to_city_time(now).year),
        category=cat.code,
        department=cat.department,
        description=draft.description.strip()[:2000],
        lat=draft.lat,
        lon=draft.lon,
        address_text=(draft.address_text or "").strip()[:500],
        status=RECEIVED,
        reporter=draft.reporter,
        reporter_ref=draft.reporter_ref or "",
        channel=draft.channel,
        probable_duplicate_of=duplicate.id if duplicate else None,
        created_at=now,
        updated_at=now,
    )
    session.add(report)
    session.flush()
    for photo_id in list(dict.fromkeys(draft.photo_ids))[:MAX_PHOTOS]:
        session.add(ReportPhoto(report_id=report.id, photo_id=photo_id))
    # The resident hears about the creation in the chat itself, so this event counts as notified.
    session.add(
        ReportEvent(
            report_id=report.id,
            status_from=None,
            status_to=RECEIVED,
            note="",
            actor=f"resident:{draft.channel}",
            created_at=now,
            notified_at=now,
        )
    )
    session.flush()
    if duplicate:
        log.info("report %s is a probable duplicate of %s", report.case_number, duplicate.case_number)
    return SubmitOutcome(
        report_id=report.id,
        case_number=report.case_number,
        department=cat.department,
        probable_duplicate_of=duplicate.case_number if duplicate else None,
    )


@dataclass(frozen=True)
class _Notice:
    """What the resident is told once a status change is committed."""

    channel: str
    resident_key: str
    case_number: str
    category: str
    duplicate_case: str | None


def change_status(
    factory: sessionmaker[Session],
    report_id: int,
    to_status: str,
    *,
    actor: str,
    note: str = "",
    duplicate_of: str | int | None = None,
    notifier: Notifier | None = None,
    categories: CategoryTable | None = None,
) -> ReportEvent:
    """Move a case to `to_status` (rules in TRANSITIONS), record who/when/why, then tell the resident.

    対象外 needs a reason (`note`); 重複 needs `duplicate_of` (case number or id of another case). The push
    happens after the commit; when it fails the event stays un-notified for `retry_pending_notifications`.
    """
    note = (note or "").strip()
    with transaction(factory) as session:
        report = session.get(Report, report_id, with_for_update=True)
        if report is None:
            raise TransitionError(f"通報 {report_id} が見つかりません (report not found)")
        _check_transition(report.status, to_status, note)
        target = _link_duplicate(session, report, to_status, duplicate_of)
        event = _record_change(session, report, to_status, note, actor)
        notice = _Notice(
            report.channel,
            report.reporter,
            report.case_number,
            report.category,
            target.case_number if target else None,
        )
    if notifier is not None and notice.channel == "line" and notice.resident_key:
        _tell_resident(factory, notifier, notice, event, categories)
    return event


def _check_transition(from_status: str, to_status: str, note: str) -> None:
    if to_status not in TRANSITIONS:
        raise TransitionError(f"「{to_status}」は状態として使えません (unknown status)")
    if to_status not in TRANSITIONS[from_status]:
        raise TransitionError(
            f"「{from_status}」から「{to_status}」には変更できません "
            f"(transition {from_status} -> {to_status} not allowed)"
        )
    if to_status == OUT_OF_SCOPE and not note:
        raise TransitionError("対象外にする理由を入力してください (a reason is required)")


def _link_duplicate(
    session: Session, report: Report, to_status: str, duplicate_of: str | int | None
) -> Report | None:
    """For 重複, point the case at the other case (refusing itself and cycles) and return that case; leaving
    重複 clears the link."""
    if to_status != DUPLICATE:
        if report.status == DUPLICATE:
            report.duplicate_of = None
        return None
    target = _resolve(session, duplicate_of)
    if target is None or target.id == report.id:
        raise TransitionError("重複先の通報を正しく指定してください (duplicate_of must name another case)")
    seen = {report.id}
    walk: Report | None = target
    while walk is not None and walk.duplicate_of is not None:
        if walk.duplicate_of in seen:
            raise TransitionError("重複先が循環しています (duplicate chain loops)")
        seen.add(walk.id)
        walk = session.get(Report, walk.duplicate_of)
    report.duplicate_of = target.id
    return target


def _record_change(session: Session, report: Report, to_status: str, note: str, actor: str) -> ReportEvent:
    event = ReportEvent(
        report_id=report.id, status_from=report.status, status_to=to_status, note=note, actor=actor
    )
    report.status = to_status
    report.updated_at = utcnow()
    session.add(event)
    session.flush()
    return event


def _tell_resident(
    factory: sessionmaker[Session],
    notifier: Notifier,
    notice: _Notice,
    event: ReportEvent,
    categories: CategoryTable | None,
) -> None:
    label = categories.get(notice.category).label if categories else ""
    wording = wording_of(notifier)
    text = status_message(
        notice.case_number, event.status_to, event.note, notice.duplicate_case, label, wording
    )
    if push_status(notifier, notice.resident_key, text, event.report_id, event.id):
        notified_at = mark_notified(factory, event.id)
        if notified_at is not None:
            event.notified_at = notified_at


def _resolve(session: Session, ref: str | int | None) -> Report | None:
    if ref is None or ref == "":
        return None
    if isinstance(ref, int) or str(ref).isdigit():
        return session.get(Report, int(ref))
    return repo.get_by_case_number(session, str(ref))


def mark_photo_reviewed(
    factory: sessionmaker[Session], report_id: int, photo_id: str, actor: str, reviewed: bool = True
) -> bool:
    """Staff checked the photo shows nothing private (faces, number plates): it may be published."""
    with transaction(factory) as session:
        row = session.scalar(
            select(ReportPhoto).where(ReportPhoto.report_id == report_id, ReportPhoto.photo_id == photo_id)
        )
        if row is None:
            return False
        row.reviewed = reviewed
        row.reviewed_by = actor if reviewed else ""
        return True


def reports_of(session: Session, resident_key: str, limit: int = 5) -> Sequence[tuple[Report, str]]:
    """The resident's newest cases with the latest note of each."""
    return [(r, repo.latest_note(session, r.id)) for r in repo.by_resident_key(session, resident_key, limit)]
