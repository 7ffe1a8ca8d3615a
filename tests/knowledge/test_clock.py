"""The city clock: Japan's time and date whatever the server's zone, fixed for rehearsals, and the conversions
between city time and the naive UTC the database stores.

Every test runs on a server clock of UTC-12 and of UTC+14 (`far_server_tz`): at any moment one of the two is on a
different date from Japan, so code that reads the server's zone fails here whatever the hour of the run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from knowledge.clock import CITY_TZ, CityClock, city_day_bounds_utc, to_city_time, to_utc_naive

pytestmark = pytest.mark.usefixtures("far_server_tz")

TOKYO = ZoneInfo("Asia/Tokyo")
SLACK = timedelta(seconds=5)


def test_the_server_really_runs_far_from_japan() -> None:
    offset = datetime.now().astimezone().utcoffset()
    assert offset in (timedelta(hours=-12), timedelta(hours=14))


def test_the_city_is_in_japan() -> None:
    assert CITY_TZ.key == "Asia/Tokyo"


# --- the real clock --------------------------------------------------------------------------------------


def test_real_clock_tells_japan_time_not_the_servers() -> None:
    expected = datetime.now(TOKYO).replace(tzinfo=None)
    now = CityClock().now()
    assert now.tzinfo is None
    assert abs(now - expected) < SLACK


def test_real_clock_today_is_japans_date() -> None:
    before = datetime.now(TOKYO).date()
    today = CityClock().today()
    after = datetime.now(TOKYO).date()
    assert today in (before, after)  # equal unless Japan's midnight fell between the two reads


def test_real_clock_year_and_utc_now() -> None:
    clock = CityClock()
    before = datetime.now(TOKYO).year
    year = clock.year()
    assert year in (before, datetime.now(TOKYO).year)
    utc_now = clock.utc_now()
    assert utc_now.tzinfo is None
    assert abs(utc_now - datetime.now(UTC).replace(tzinfo=None)) < SLACK


# --- a fixed clock ---------------------------------------------------------------------------------------


def test_fixed_clock_is_frozen_at_city_time() -> None:
    new_years_eve = datetime(2026, 12, 31, 23, 30)  # naive city time
    clock = CityClock(new_years_eve)
    assert clock.now() == new_years_eve
    assert clock.now() == clock.now()
    assert clock.today() == date(2026, 12, 31)
    assert clock.year() == 2026
    assert clock.utc_now() == datetime(2026, 12, 31, 14, 30)


def test_fixed_clock_just_after_city_midnight_is_the_previous_day_in_utc() -> None:
    clock = CityClock(datetime(2027, 1, 1, 0, 15))
    assert clock.today() == date(2027, 1, 1)
    assert clock.year() == 2027
    assert clock.utc_now() == datetime(2026, 12, 31, 15, 15)


# --- conversions -----------------------------------------------------------------------------------------


def test_to_city_time_reads_naive_as_utc() -> None:
    local = to_city_time(datetime(2026, 12, 31, 15, 0))
    assert local.utcoffset() == timedelta(hours=9)
    assert local.replace(tzinfo=None) == datetime(2027, 1, 1, 0, 0)


def test_to_city_time_converts_an_aware_time() -> None:
    new_york_evening = datetime(2026, 6, 30, 20, 0, tzinfo=timezone(timedelta(hours=-4)))
    assert to_city_time(new_york_evening).replace(tzinfo=None) == datetime(2026, 7, 1, 9, 0)


def test_to_utc_naive_reads_naive_as_city_time() -> None:
    assert to_utc_naive(datetime(2027, 1, 1, 8, 0)) == datetime(2026, 12, 31, 23, 0)


def test_to_utc_naive_converts_an_aware_time() -> None:
    assert to_utc_naive(datetime(2026, 6, 1, 12, 0, tzinfo=UTC)) == datetime(2026, 6, 1, 12, 0)
    assert to_utc_naive(datetime(2026, 6, 1, 12, 0, tzinfo=TOKYO)) == datetime(2026, 6, 1, 3, 0)


def test_round_trip() -> None:
    stored = datetime(2026, 3, 31, 15, 30, 12)
    assert to_utc_naive(to_city_time(stored)) == stored
    assert to_city_time(to_utc_naive(datetime(2026, 4, 1, 0, 30))).replace(tzinfo=None) == datetime(
        2026, 4, 1, 0, 30
    )


def test_city_day_bounds_cover_whole_city_days_in_utc() -> None:
    lo, hi = city_day_bounds_utc(date(2026, 4, 1), date(2026, 4, 30))
    assert (lo, hi) == (datetime(2026, 3, 31, 15, 0), datetime(2026, 4, 30, 15, 0))
    one_day = city_day_bounds_utc(date(2026, 12, 31), date(2026, 12, 31))
    assert one_day == (datetime(2026, 12, 30, 15, 0), datetime(2026, 12, 31, 15, 0))
    # a message at 08:59 JST on 1 January belongs to 1 January, not to 31 December
    first_of_january = to_utc_naive(datetime(2027, 1, 1, 8, 59))
    assert not one_day[0] <= first_of_january < one_day[1]
