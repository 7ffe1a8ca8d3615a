"""Resident reports, the rules: submit (case number, routing, duplicates), the status lifecycle with its
history, telling the resident on LINE, and the never-lose spool for when the database is down.

Exports (CSV / GeoJSON) live in `bot.reports.export` and are re-exported here; storage in
`bot.storage.reports`.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import math
import os
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.reports.categories import OTHER, CategoryTable, load_categories  # noqa: F401  (used by actions)
from bot.storage import reports as repo
from bot.storage.db import transaction, utcnow
from bot.storage.reports import (
    CHECKING,
    DONE,
    DUPLICATE,
    OPEN_STATUSES,
    OUT_OF_SCOPE,
    RECEIVED,
    SCHEDULED,
    Report,
    ReportEvent,
    ReportPhoto,
)

log = logging.getLogger(__name__)
JST = ZoneInfo("Asia/Tokyo")
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


class Notifier(Protocol):
    """Sends text to a resident. `bot.line.push.push_to_sender` has this shape behind `LinePushNotifier`."""

    def notify(self, sender_pseudonym: str, texts: list[str], retry_key: str) -> bool: ...


class LinePushNotifier:
    """Pushes on LINE through `bot.line.push.push_to_sender(factory, settings, sender, texts, retry_key)`."""

    def __init__(self, factory: sessionmaker[Session], settings: Any) -> None:
        self._factory = factory
        self._settings = settings

    def notify(self, sender_pseudonym: str, texts: list[str], retry_key: str) -> bool:
        try:
            from bot.line.push import push_to_sender  # type: ignore[import-not-found]
        except ModuleNotFoundError:
            log.warning("bot.line.push is not available; report notification %s not sent", retry_key)
            return False
        result = push_to_sender(self._factory, self._settings, sender_pseudonym, texts, retry_key)
        if inspect.isawaitable(result):
            result = _run_coroutine(result)
        # "sent", or "skipped" (not a LINE resident any more, unfollowed): nothing left to retry.
        # "failed" (LINE unavailable after its retries) stays pending for retry_pending_notifications.
        return result in ("sent", "skipped", True)


def _run_coroutine(awaitable: Any) -> Any:
    """Run a coroutine to completion from sync code, even when this thread already runs an event loop."""
    import asyncio

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(awaitable)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


@dataclass
class ReportDraft:
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


def jst_year(moment: datetime | None = None) -> int:
    moment = moment or utcnow()
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(JST).year


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def find_probable_duplicate(
    session: Session,
    categories: CategoryTable,
    category: str,
    lat: float | None,
    lon: float | None,
    now: datetime | None = None,
    exclude_id: int | None = None,
) -> Report | None:
    """The nearest open report of the same category within its radius from the last N days, if any."""
    if lat is None or lon is None:
        return None
    cat = categories.get(category)
    radius = cat.duplicate_radius_m
    now = now or utcnow()
    dlat = radius / 111_320.0
    dlon = radius / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    query = select(Report).where(
        Report.category == cat.code,
        Report.status.in_(OPEN_STATUSES),
        Report.created_at >= now - timedelta(days=categories.duplicate_window_days),
        Report.lat.between(lat - dlat, lat + dlat),
        Report.lon.between(lon - dlon, lon + dlon),
    )
    if exclude_id is not None:
        query = query.where(Report.id != exclude_id)
    best: tuple[float, Report] | None = None
    for row in session.scalars(query):
        d = distance_m(lat, lon, row.lat, row.lon)  # type: ignore[arg-type]
        if d <= radius and (best is None or d < best[0]):
            best = (d, row)
    return best[1] if best else None


def submit_report(
    session: Session, draft: ReportDraft, categories: CategoryTable, now: datetime | None = None
) -> SubmitOutcome:
    """Create the case in the caller's transaction: case number, department, probable duplicate, photos,
    and the first history event."""
    now = now or utcnow()
    cat = categories.get(draft.category)
    duplicate = find_probable_duplicate(session, categories, cat.code, draft.lat, draft.lon, now=now)
    report = Report(
        case_number=repo.next_case_number(session, jst_year(now)),
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


def status_message(
    case_number: str, status: str, note: str = "", duplicate_case: str | None = None, category_label: str = ""
) -> str:
    """What the resident reads on LINE when their case changes."""
    subject = f"{category_label}の通報" if category_label else "ご通報"
    head = f"{subject}(受付番号 {case_number})について"
    body = {
        CHECKING: "、担当課で現地の状況を確認しています。",
        SCHEDULED: "、対応することが決まりました。準備ができしだい作業します。",
        DONE: "、対応が完了しました。ご協力ありがとうございました。",
        OUT_OF_SCOPE: "、申し訳ありませんが、市では対応できない内容でした。",
        DUPLICATE: (
            f"、同じ場所の通報(受付番号 {duplicate_case})をすでに受け付けていたため、"
            "そちらとあわせて対応します。"
            if duplicate_case
            else "、同じ内容の通報をすでに受け付けていたため、そちらとあわせて対応します。"
        ),
        RECEIVED: "、受け付けの状態に戻しました。",
    }.get(status, f"、状況が「{status}」になりました。")
    lines = [head + body]
    if note:
        lines.append(("理由: " if status == OUT_OF_SCOPE else "担当課より: ") + note)
    lines.append("ご不明な点は「私の通報はどうなった？」と送ってください。")
    return "\n".join(lines)


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
        if to_status not in TRANSITIONS:
            raise TransitionError(f"「{to_status}」は状態として使えません (unknown status)")
        if to_status not in TRANSITIONS[report.status]:
            raise TransitionError(
                f"「{report.status}」から「{to_status}」には変更できません "
                f"(transition {report.status} -> {to_status} not allowed)"
            )
        if to_status == OUT_OF_SCOPE and not note:
            raise TransitionError("対象外にする理由を入力してください (a reason is required)")
        target: Report | None = None
        if to_status == DUPLICATE:
            target = _resolve(session, duplicate_of)
            if target is None or target.id == report.id:
                raise TransitionError(
                    "重複先の通報を正しく指定してください (duplicate_of must name another case)"
                )
            seen = {report.id}
            walk: Report | None = target
            while walk is not None and walk.duplicate_of is not None:  # refuse cycles
                if walk.duplicate_of in seen:
                    raise TransitionError("重複先が循環しています (duplicate chain loops)")
                seen.add(walk.id)
                walk = session.get(Report, walk.duplicate_of)
            report.duplicate_of = target.id
        elif report.status == DUPLICATE:
            report.duplicate_of = None
        event = ReportEvent(
            report_id=report.id, status_from=report.status, status_to=to_status, note=note, actor=actor
        )
        report.status = to_status
        report.updated_at = utcnow()
        session.add(event)
        session.flush()
        channel, reporter, case_number, category = (
            report.channel,
            report.reporter,
            report.case_number,
            report.category,
        )
        duplicate_case = target.case_number if target else None
    label = categories.get(category).label if categories else ""
    if notifier is not None and channel == "line" and reporter:
        text = status_message(case_number, to_status, note, duplicate_case, label)
        if _push(notifier, reporter, text, report_id, event.id):
            with transaction(factory) as session:
                row = session.get(ReportEvent, event.id)
                if row is not None:
                    row.notified_at = utcnow()
                    event.notified_at = row.notified_at
    return event


def _push(notifier: Notifier, reporter: str, text: str, report_id: int, event_id: int) -> bool:
    try:
        return bool(notifier.notify(reporter, [text], f"report-{report_id}-{event_id}"))
    except Exception:
        log.exception("report notification report-%s-%s failed; it will be retried", report_id, event_id)
        return False


def retry_pending_notifications(
    factory: sessionmaker[Session],
    notifier: Notifier,
    categories: CategoryTable | None = None,
    limit: int = 100,
) -> int:
    """Push status changes of LINE reports that were not delivered yet (same retry key, so never twice)."""
    with factory() as session:
        rows = session.execute(
            select(ReportEvent, Report)
            .join(Report, Report.id == ReportEvent.report_id)
            .where(
                ReportEvent.notified_at.is_(None),
                ReportEvent.status_from.is_not(None),
                Report.channel == "line",
            )
            .order_by(ReportEvent.id)
            .limit(limit)
        ).all()
        jobs = []
        for event, report in rows:
            dup = (
                session.get(Report, report.duplicate_of)
                if event.status_to == DUPLICATE and report.duplicate_of
                else None
            )
            label = categories.get(report.category).label if categories else ""
            jobs.append(
                (
                    event.id,
                    report.id,
                    report.reporter,
                    status_message(
                        report.case_number,
                        event.status_to,
                        event.note,
                        dup.case_number if dup else None,
                        label,
                    ),
                )
            )
    sent = 0
    for event_id, report_id, reporter, text in jobs:
        if _push(notifier, reporter, text, report_id, event_id):
            sent += 1
            with transaction(factory) as session:
                row = session.get(ReportEvent, event_id)
                if row is not None:
                    row.notified_at = utcnow()
    return sent


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


def record_staff_alert(
    factory: sessionmaker[Session], kind: str, message: str, details: dict | None = None
) -> None:
    """Log at ERROR and keep a `staff_alerts` row for the dashboard; never raises (it is the error path)."""
    log.error("staff alert [%s]: %s %s", kind, message, details or "")
    try:
        with transaction(factory) as session:
            repo.add_alert(session, kind, message, details)
    except Exception:
        log.exception("could not record the staff alert [%s]", kind)


# --- never lose a report: spool to disk when the database refuses -------------------------------------


def spool_draft(spool_dir: Path, draft: ReportDraft) -> Path:
    """Keep a report the database could not take; `replay_spool` files it later."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    path = spool_dir / f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.json"
    tmp = path.with_suffix(".tmp")  # a replayer never sees a half-written file
    tmp.write_text(
        json.dumps({"draft": asdict(draft), "spooled_at": utcnow().isoformat()}, ensure_ascii=False),
        encoding="utf-8",
    )
    os.replace(tmp, path)
    log.error("report spooled to %s (database unavailable)", path)
    return path


SPOOL_CLAIM_STALE_S = 600.0  # a claimed spool file older than this belonged to a process that died


def replay_spool(
    factory: sessionmaker[Session], spool_dir: Path, categories: CategoryTable
) -> list[SubmitOutcome]:
    """File every spooled report (oldest first); a file is removed only after its report is committed.

    Several replayers (gateway workers, the CLI) may run at once: each file is claimed by an atomic rename
    first, so only one of them files it. A claim left by a process that died is taken back after
    `SPOOL_CLAIM_STALE_S`. When the database refuses, the file is given back and the error raised.
    """
    outcomes: list[SubmitOutcome] = []
    if not spool_dir.is_dir():
        return outcomes
    now = time.time()
    for stale in spool_dir.glob("*.replaying"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > SPOOL_CLAIM_STALE_S:
                os.replace(stale, stale.with_suffix(".json"))
    for path in sorted(spool_dir.glob("*.json")):
        claimed = path.with_suffix(".replaying")
        try:
            os.rename(path, claimed)
            os.utime(claimed)  # the claim's age, not the spool's, decides when it counts as abandoned
        except FileNotFoundError:  # another replayer took it
            continue
        try:
            data = json.loads(claimed.read_text(encoding="utf-8"))
            draft = ReportDraft(**data["draft"])
            spooled_at = datetime.fromisoformat(data["spooled_at"])
        except (OSError, ValueError, KeyError, TypeError):
            log.exception("spooled report %s cannot be read; kept as .bad for staff", path.name)
            os.replace(claimed, path.with_suffix(".bad"))
            continue
        try:
            with transaction(factory) as session:
                outcome = submit_report(session, draft, categories, now=spooled_at)
        except BaseException:
            os.replace(claimed, path)
            raise
        claimed.unlink()
        outcomes.append(outcome)
    return outcomes


def reports_of(session: Session, reporter: str, limit: int = 5) -> Sequence[tuple[Report, str]]:
    """The resident's newest cases with the latest note of each."""
    return [(r, repo.latest_note(session, r.id)) for r in repo.by_reporter(session, reporter, limit)]


# Re-exported so the admin console and the actions find every report function here.
from bot.reports.export import export_csv, export_geojson, to_jst  # noqa: E402, F401
