"""`run_reminders`: one push per subscriber the evening before collection day; a second run sends nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.live_citydata import load_city_data
from bot.reminders.delivery import PushesPaused, run_reminders
from bot.storage import citydata
from bot.storage.db import transaction
from knowledge.snowplow import Position

DEMO = Path(__file__).resolve().parents[3] / "knowledge" / "data" / "city"


class FakePusher:
    def __init__(self, fail_for: set[str] | None = None) -> None:
        self.pushes: list[tuple[str, list[dict[str, Any]], str]] = []
        self.fail_for = fail_for or set()

    async def push(self, sender_ref: str, messages: list[dict[str, Any]], retry_key: str) -> None:
        if sender_ref in self.fail_for:
            raise ConnectionError("LINE unavailable")
        self.pushes.append((sender_ref, messages, retry_key))


def subscribe_all(factory, rows: list[tuple[str, str, str]]) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        for sender, kind, area in rows:
            citydata.subscribe(session, sender=sender, sender_ref=f"ref-{sender}", kind=kind, area=area)


def test_evening_before_collection_exactly_once(factory) -> None:  # type: ignore[no-untyped-def]
    data = load_city_data(DEMO, {})
    # Wednesday 2026-09-16 evening: Thursday 17th is 燃やすごみ in 中央地区 and 駅前地区, nothing in 南町地区.
    subscribe_all(factory, [("a", "garbage", "中央地区"), ("b", "garbage", "駅前地区"),
                            ("c", "garbage", "南町地区"), ("d", "garbage", "中央地区")])  # fmt: skip
    with transaction(factory) as session:
        citydata.unsubscribe(session, sender="d")
    pusher = FakePusher()
    evening = datetime(2026, 9, 16, 18, 0)
    report = asyncio.run(run_reminders(evening, factory=factory, data=data, pusher=pusher))
    assert sorted(ref for ref, _, _ in pusher.pushes) == ["ref-a", "ref-b"]
    assert len(report.sent) == 2
    text = pusher.pushes[0][1][0]["text"]
    assert "明日9月17日（木）" in text and "燃やすごみ" in text
    assert "指定袋（赤）で朝8時までに出してください。" in text  # the city's own words (description.csv)
    assert len({key for _, _, key in pusher.pushes}) == 2

    again = asyncio.run(run_reminders(evening.replace(hour=20), factory=factory, data=data, pusher=pusher))
    assert len(pusher.pushes) == 2 and again.sent == [] and again.skipped == 2

    morning = asyncio.run(
        run_reminders(datetime(2026, 9, 16, 9, 0), factory=factory, data=data, pusher=pusher)
    )
    assert morning.sent == []  # garbage reminders go out in the evening only


def test_failed_push_is_retried_with_same_key(factory) -> None:  # type: ignore[no-untyped-def]
    data = load_city_data(DEMO, {})
    subscribe_all(factory, [("a", "garbage", "中央地区")])
    evening = datetime(2026, 9, 16, 18, 0)
    failing = FakePusher(fail_for={"ref-a"})
    first = asyncio.run(run_reminders(evening, factory=factory, data=data, pusher=failing))
    assert first.failed and not first.sent
    ok = FakePusher()
    second = asyncio.run(run_reminders(evening, factory=factory, data=data, pusher=ok))
    assert len(ok.pushes) == 1 and len(second.sent) == 1
    third = asyncio.run(run_reminders(evening, factory=factory, data=data, pusher=ok))
    assert len(ok.pushes) == 1 and third.sent == []


def test_snowplow_notice_once_per_day(factory) -> None:  # type: ignore[no-untyped-def]
    data = load_city_data(DEMO, {})
    subscribe_all(factory, [("a", "snowplow", "桜ケ丘地区"), ("b", "snowplow", "川原地区")])
    with transaction(factory) as session:
        citydata.add_positions(
            session, [Position("plow-3", 39.6901, 140.1119, datetime(2027, 1, 14, 20, 20))]
        )  # UTC
    pusher = FakePusher()
    now = datetime(2027, 1, 15, 7, 0)  # local
    asyncio.run(run_reminders(now, factory=factory, data=data, pusher=pusher))
    asyncio.run(run_reminders(now.replace(hour=8), factory=factory, data=data, pusher=pusher))
    assert [ref for ref, _, _ in pusher.pushes] == ["ref-a"]
    assert "5時20分ごろ" in pusher.pushes[0][1][0]["text"]


class PausedPusher(FakePusher):
    async def push(self, sender_ref: str, messages: list[dict[str, Any]], retry_key: str) -> None:
        raise PushesPaused("the monthly message allowance is used up")


def test_paused_pushes_stop_the_run_and_keep_the_deliveries_pending(factory) -> None:  # type: ignore[no-untyped-def]
    data = load_city_data(DEMO, {})
    subscribe_all(factory, [("a", "garbage", "中央地区"), ("d", "garbage", "中央地区")])
    paused = asyncio.run(
        run_reminders(datetime(2026, 9, 16, 18, 0), factory=factory, data=data, pusher=PausedPusher())
    )
    assert paused.paused and paused.sent == [] and paused.failed == []
    with factory() as session:
        rows = session.query(citydata.ReminderDelivery).all()
    assert [(r.status, r.attempts) for r in rows] == [("pending", 0)]  # the run stopped at the first
    pusher = FakePusher()
    resumed = asyncio.run(
        run_reminders(datetime(2026, 9, 16, 18, 5), factory=factory, data=data, pusher=pusher)
    )
    assert len(resumed.sent) == 2 and not resumed.paused


def test_the_reminder_makes_up_no_time_the_city_does_not_give(tmp_path: Path) -> None:
    from bot.reminders.delivery import garbage_message

    data = load_city_data(DEMO, {})
    plain = tmp_path / "city"
    plain.mkdir()
    for source in DEMO.iterdir():
        text = source.read_text(encoding="utf-8")
        if source.name == "description.csv":
            text = text.replace("で朝8時までに出してください", "に入れてください")
        (plain / source.name).write_text(text, encoding="utf-8")
    day = datetime(2026, 9, 17).date()
    assert "朝8時" in garbage_message(data, "中央地区", ["燃やすごみ"], day)
    text = garbage_message(load_city_data(plain, {}), "中央地区", ["燃やすごみ"], day)
    assert "時までに" not in text and "集積所へ出してください。" in text
