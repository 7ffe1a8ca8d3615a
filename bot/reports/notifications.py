"""Telling a LINE resident that their case changed: the message text, the `Notifier` that pushes it, and the
resend of status changes that could not be pushed yet (same retry key, so LINE never delivers one twice)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.line.push import push_to_resident
from bot.messages import Messages, default_messages, for_settings
from bot.reports.categories import CategoryTable
from bot.settings import Settings
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
)

log = logging.getLogger(__name__)
T = TypeVar("T")


class Notifier(Protocol):
    """Sends text to a resident. `bot.line.push.push_to_resident` has this shape behind `LinePushNotifier`."""

    def notify(self, resident_key: str, texts: list[str], retry_key: str) -> bool: ...


class LinePushNotifier:
    """Pushes on LINE through `bot.line.push.push_to_resident`."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        self._factory = factory
        self._settings = settings
        self.wording = for_settings(settings)  # the city's wording of the status messages

    def notify(self, resident_key: str, texts: list[str], retry_key: str) -> bool:
        status = _run_coroutine(
            push_to_resident(self._factory, self._settings, resident_key, texts, retry_key)
        )
        # "sent", or "skipped" (not a LINE resident any more, unfollowed, LINE not configured): nothing
        # left to retry. "failed" (LINE unavailable after its retries) and "deferred" (LINE's monthly message
        # allowance used up) stay pending for retry_pending_notifications.
        return status in ("sent", "skipped")


def _run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even when this thread already runs an event loop."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


# What a resident reads for each status, the same words in the push (`status_message`) and in the answer to
# 「私の通報はどうなった？」 (actions/reports.py): never 対応予定 in one place and 「対応することが決まりました」
# in the other. The words are texts of bot/messages.yml, which a city may reword.
STATUS_KEYS = {
    RECEIVED: "received",
    CHECKING: "checking",
    SCHEDULED: "scheduled",
    DONE: "done",
    OUT_OF_SCOPE: "out_of_scope",
    DUPLICATE: "duplicate",
}


def wording_of(notifier: Notifier) -> Messages | None:
    """The city's wording a notifier's messages are written in (None: bot/messages.yml as it is)."""
    return notifier.wording if isinstance(notifier, LinePushNotifier) else None


def status_words(status: str, wording: Messages | None = None) -> str:
    """The resident's words for a status (a status unknown here is quoted as it is)."""
    key = STATUS_KEYS.get(status)
    return (wording or default_messages()).text(f"report_status_{key}") if key else f"「{status}」"


def status_message(
    case_number: str,
    status: str,
    note: str = "",
    duplicate_case: str | None = None,
    category_label: str = "",
    wording: Messages | None = None,
) -> str:
    """What the resident reads on LINE when their case changes (texts of bot/messages.yml)."""
    m = wording or default_messages()
    subject = (
        m.text("report_subject_category", category=category_label)
        if category_label
        else m.text("report_subject")
    )
    head = m.text("report_head", subject=subject, case_number=case_number)
    words = status_words(status, m)
    key = STATUS_KEYS.get(status)
    if key is None:
        body = m.text("report_body_other", words=words)
    elif status == DUPLICATE and duplicate_case:
        body = m.text("report_body_duplicate_of", words=words, duplicate_case=duplicate_case)
    elif status in (SCHEDULED, DONE, OUT_OF_SCOPE, DUPLICATE):
        body = m.text(f"report_body_{key}", words=words)
    else:
        body = m.text("report_body", words=words)
    lines = [head + body]
    if note:
        lines.append(m.text("report_reason" if status == OUT_OF_SCOPE else "report_staff_note", note=note))
    lines.append(m.text("report_footer"))
    return "\n".join(lines)


def push_status(notifier: Notifier, resident_key: str, text: str, report_id: int, event_id: int) -> bool:
    """Push one status change under the retry key `report-<id>-<event>`; False (logged) when it failed."""
    retry_key = f"report-{report_id}-{event_id}"
    try:
        return bool(notifier.notify(resident_key, [text], retry_key))
    except Exception:
        log.exception("report notification %s failed; it will be retried", retry_key)
        return False


def mark_notified(factory: sessionmaker[Session], event_id: int) -> datetime | None:
    """Record that the resident was told about this event; when, or None if the event is gone."""
    with transaction(factory) as session:
        row = session.get(ReportEvent, event_id)
        if row is None:
            return None
        row.notified_at = utcnow()
        return row.notified_at


def _pending(
    session: Session, categories: CategoryTable | None, limit: int, wording: Messages | None = None
) -> list[tuple[int, int, str, str]]:
    """(event id, report id, resident key, text) of LINE status changes not delivered yet, oldest first."""
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
        dup_case = dup.case_number if dup else None
        text = status_message(report.case_number, event.status_to, event.note, dup_case, label, wording)
        jobs.append((event.id, report.id, report.reporter, text))
    return jobs


def retry_pending_notifications(
    factory: sessionmaker[Session],
    notifier: Notifier,
    categories: CategoryTable | None = None,
    limit: int = 100,
    wording: Messages | None = None,
) -> int:
    """Push status changes of LINE reports that were not delivered yet (same retry key, so never twice)."""
    with factory() as session:
        jobs = _pending(session, categories, limit, wording or wording_of(notifier))
    sent = 0
    for event_id, report_id, resident_key, text in jobs:
        if push_status(notifier, resident_key, text, report_id, event_id):
            sent += 1
            mark_notified(factory, event_id)
    return sent
