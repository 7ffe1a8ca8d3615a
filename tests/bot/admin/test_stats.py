"""Dashboard numbers (bot/admin/stats.py): days are the city's days, whatever the server's time zone."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.admin import stats
from bot.storage.db import transaction
from bot.storage.models import Message


@pytest.mark.usefixtures("far_server_tz")
def test_period_starts_at_the_city_midnight() -> None:
    start, days = stats.period_start(date(2026, 3, 10), 7)
    assert days[0] == date(2026, 3, 4) and days[-1] == date(2026, 3, 10)
    assert start == datetime(2026, 3, 3, 15, 0)  # 00:00 in Japan is 15:00 UTC the day before


@pytest.mark.usefixtures("far_server_tz")
def test_messages_are_bucketed_by_city_day_and_hour(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:  # 2026-03-09 23:30 UTC is 2026-03-10 08:30 in the city
        session.add(
            Message(
                channel="web", sender="k", direction="in", text="q", created_at=datetime(2026, 3, 9, 23, 30)
            )
        )
    with factory() as session:
        daily, hourly = stats.messages_by_day_and_hour(session, date(2026, 3, 10), 2)
    assert daily.rows[-1][:2] == ["2026-03-10", 1]
    assert hourly.rows[8] == [8, 1]
