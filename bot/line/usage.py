"""LINE usage this month, shared by every process through the database: the pushes spent on late answers, the
fallback texts sent when LINE refused an answer, and whether the month's message allowance is used up.

When LINE says the allowance is used up (`LineQuotaExhausted`), `PushGate.exhausted` records it: staff are told
once (a staff alert, logged at ERROR, and the dashboard's LINE table), and every process stops pushing. What
waits for a push is kept (LINE inbox events stay pending, status notices and reminders stay unsent) until
`PushGate.allows` finds room again; it asks LINE's quota API (free: it sends nothing) at most once an hour, and
a new month starts clean. Replies cost nothing and go on as usual.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import anyio
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts import record_staff_alert
from bot.storage import line_inbox
from bot.storage.db import transaction, utcnow
from channels.line.client import LineApiError, LineClient, LineUnavailable
from knowledge.clock import to_city_time

log = logging.getLogger(__name__)

RECHECK = timedelta(hours=1)  # how often the quota API is asked whether pushes may resume
ALERT_KIND = "line_quota_exhausted"


def month_of(now: datetime | None = None) -> str:
    """LINE's billing month of the (naive UTC) moment: the calendar month in Japan."""
    local = to_city_time(now or utcnow())
    return f"{local.year:04d}-{local.month:02d}"


def count(factory: sessionmaker[Session], *, late_pushes: int = 0, fallback_texts: int = 0) -> None:
    """Add to this month's counters; a counting failure is logged, never raised (the answer went out)."""
    try:
        with transaction(factory) as session:
            line_inbox.count_usage(
                session, month_of(), late_pushes=late_pushes, fallback_texts=fallback_texts
            )
    except Exception:
        log.exception("LINE usage not counted (late pushes %d, fallbacks %d)", late_pushes, fallback_texts)


class PushGate:
    """Whether pushes may go out now. `allows` before a push; `exhausted` when LINE refused one for the
    allowance."""

    def __init__(self, factory: sessionmaker[Session], recheck: timedelta = RECHECK) -> None:
        self.factory = factory
        self.recheck = recheck

    def _state(self) -> tuple[datetime | None, datetime | None]:
        with self.factory() as session:
            row = line_inbox.usage(session, month_of())
            return (row.quota_exhausted_at, row.quota_checked_at) if row else (None, None)

    def _record(self, exhausted: bool) -> bool:
        with transaction(self.factory) as session:
            return line_inbox.set_quota_state(session, month_of(), exhausted=exhausted, now=utcnow())

    def blocked(self) -> bool:
        """The allowance is known to be used up this month (no LINE call)."""
        return self._state()[0] is not None

    async def allows(self, line_client: LineClient) -> bool:
        """True unless the allowance is used up; re-asks LINE at most once per `recheck` whether it grew."""
        exhausted_at, checked_at = await anyio.to_thread.run_sync(self._state)
        if exhausted_at is None:
            return True
        if utcnow() - (checked_at or exhausted_at) < self.recheck:
            return False
        try:
            limit, used = await line_client.message_quota()
        except (LineApiError, LineUnavailable) as exc:
            log.warning("LINE quota check failed (%s); pushes stay paused", exc)
            await anyio.to_thread.run_sync(lambda: self._record(True))
            return False
        room = limit is None or used < limit
        await anyio.to_thread.run_sync(lambda: self._record(not room))
        if room:
            log.warning("LINE message allowance has room again (%s of %s used): pushes resume", used, limit)
        return room

    def exhausted(self, what: str) -> None:
        """LINE refused a push for the allowance: every process stops pushing; staff are told once a month."""
        if self._record(True):
            record_staff_alert(
                self.factory,
                ALERT_KIND,
                "LINE の今月のメッセージ通数の上限に達しました。応答メッセージは届きますが、遅れた回答・"
                "通報の状況のお知らせ・ごみの日の通知は、上限が増えるか翌月になるまで保留します。",
                {"month": month_of(), "refused": what},
            )
        else:
            log.warning("LINE %s held back: the monthly message allowance is used up", what)

    async def exhausted_async(self, what: str) -> None:
        await anyio.to_thread.run_sync(lambda: self.exhausted(what))


def summary(session: Session, now: datetime | None = None) -> tuple[str, list[str], list[list]]:
    """The dashboard's LINE table: (title, header, rows) for this month."""
    month = month_of(now)
    row = line_inbox.usage(session, month)
    state = "余裕あり"
    if row is not None and row.quota_exhausted_at is not None:
        at = to_city_time(row.quota_exhausted_at)
        state = f"上限に到達({at.month}月{at.day}日 {at.hour}:{at.minute:02d}から。プッシュは保留中)"
    late = row.late_pushes if row else 0
    fallbacks = row.fallback_texts if row else 0
    header = ["月間メッセージ通数", "応答期限後のプッシュ", "送れなかった回答の代わりの定型文"]
    return f"LINE の配信({month})", header, [[state, late, fallbacks]]
