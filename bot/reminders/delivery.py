"""Reminder pushes: the evening before an area's collection day, and after a plow passed an area.

`run_reminders(now, …)` sends exactly one push per subscribed resident per date through any
:class:`Pusher` (the LINE channel's reliable sender adapts to it). Each delivery is claimed in
the `reminder_deliveries` sent-log before pushing and marked sent afterwards; the push carries a
retry key derived from (subscription, date), so a run that crashed between the two is retried
safely (LINE accepts a retry key once). Running the job again sends nothing new. A pusher that cannot push
at all for now (LINE's monthly message allowance is used up) raises `PushesPaused`: the run stops at once, and
what it did not send stays pending for a later run, its attempt not counted.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.live_citydata import CityData
from bot.storage import citydata
from bot.storage.db import transaction, utcnow
from knowledge.clock import CITY_TZ
from knowledge.dates import format_day
from knowledge.snowplow import in_season, last_plowed

log = logging.getLogger(__name__)
REMINDER_NAMESPACE = uuid.UUID("3f0b7a52-4c1e-4f3e-9a57-6a1d2b8e9c40")
EVENING_FROM_HOUR = 15  # garbage reminders go out from 15:00 local time on the day before


class PushesPaused(Exception):
    """No push can go out for now (the channel's monthly message allowance is used up)."""


class Pusher(Protocol):
    async def push(self, sender_ref: str, messages: list[dict[str, Any]], retry_key: str) -> None: ...


@dataclass
class ReminderRun:
    sent: list[tuple[int, str]] = field(default_factory=list)  # (subscription id, target date)
    failed: list[tuple[int, str, str]] = field(default_factory=list)
    skipped: int = 0
    paused: bool = False  # stopped early: pushes are paused (`PushesPaused`)


def retry_key(subscription_id: int, target: str) -> str:
    return str(uuid.uuid5(REMINDER_NAMESPACE, f"{subscription_id}:{target}"))


def garbage_message(data: CityData, area: str, categories: list[str], day: Any) -> str:
    """The evening-before reminder. By when to put it out comes from the city's own data (none when it says
    nothing: no time is made up)."""
    cats = "」「".join(categories)
    rules = "".join(data.garbage.put_out_rules(categories))
    when = rules if rules else "集積所へ出してください。"
    return (f"【ごみ収集のお知らせ】明日{format_day(day)}は{area}の「{cats}」の日です。{when}"
            "\n通知を止めるときは「通知を停止」と送ってください。")  # fmt: skip


async def _deliver(
    factory: sessionmaker[Session],
    pusher: Pusher,
    sub_id: int,
    sender_ref: str,
    target: Any,
    text: str,
    report: ReminderRun,
) -> None:
    with transaction(factory) as session:
        claimed = citydata.claim_delivery(session, sub_id, target)
        delivery_id = claimed.id if claimed else None
    if delivery_id is None:
        report.skipped += 1
        return
    key = retry_key(sub_id, target.isoformat())
    try:
        await pusher.push(sender_ref, [{"type": "text", "text": text}], key)
    except PushesPaused:
        raise  # nobody else can be reached either: stop the run; this delivery stays pending
    except Exception as exc:  # one resident's failure must not stop the others
        log.warning("reminder push failed for subscription %s: %s", sub_id, exc)
        with transaction(factory) as session:
            row = session.get(citydata.ReminderDelivery, delivery_id)
            if row is not None:
                row.status, row.attempts, row.error = "failed", row.attempts + 1, str(exc)[:500]
        report.failed.append((sub_id, target.isoformat(), str(exc)))
        return
    with transaction(factory) as session:
        row = session.get(citydata.ReminderDelivery, delivery_id)
        if row is not None:
            row.status, row.attempts, row.sent_at = "sent", row.attempts + 1, utcnow()
    report.sent.append((sub_id, target.isoformat()))


async def run_reminders(
    now: datetime, *, factory: sessionmaker[Session], data: CityData, pusher: Pusher
) -> ReminderRun:
    """Send tonight's garbage reminders (for tomorrow) and today's plow notices; ``now`` is local, naive."""
    report = ReminderRun()
    try:
        await _run(now, factory, data, pusher, report)
    except PushesPaused as exc:
        report.paused = True
        log.warning("reminders paused: %s (%d sent before)", exc, len(report.sent))
    return report


async def _run(
    now: datetime, factory: sessionmaker[Session], data: CityData, pusher: Pusher, report: ReminderRun
) -> None:
    with factory() as session:
        garbage_subs = [
            (s.id, s.sender_ref, s.area) for s in citydata.active_subscriptions(session, "garbage")
        ]
        plow_subs = [(s.id, s.sender_ref, s.area) for s in citydata.active_subscriptions(session, "snowplow")]
    if now.hour >= EVENING_FROM_HOUR:
        tomorrow = now.date() + timedelta(days=1)
        for sub_id, ref, area in garbage_subs:
            if area not in data.garbage.areas():
                report.skipped += 1
                continue
            categories = data.garbage.collections_on(area, tomorrow)
            if categories:
                await _deliver(
                    factory,
                    pusher,
                    sub_id,
                    ref,
                    tomorrow,
                    garbage_message(data, area, categories, tomorrow),
                    report,
                )
    start, end = data.city.snow_season
    if plow_subs and in_season(now.date(), start, end):
        midnight_utc = (
            datetime.combine(now.date(), datetime.min.time(), CITY_TZ).astimezone(UTC).replace(tzinfo=None)
        )
        now_utc = now.replace(tzinfo=CITY_TZ).astimezone(UTC).replace(tzinfo=None)
        with factory() as session:
            positions = citydata.positions_since(session, midnight_utc, now_utc)
        areas = {a.name: a for a in data.snowplow_areas}
        for sub_id, ref, area_name in plow_subs:
            plow_area = areas.get(area_name)
            last = last_plowed(plow_area, positions) if plow_area else None
            if last is None:
                continue
            local = last.replace(tzinfo=UTC).astimezone(CITY_TZ)
            text = (f"【除雪のお知らせ】{area_name}を今日 {local.hour}時{local.minute:02d}分ごろ除雪車が通過しました。\n"
                    "通知を止めるときは「通知を停止」と送ってください。")  # fmt: skip
            await _deliver(factory, pusher, sub_id, ref, now.date(), text, report)
