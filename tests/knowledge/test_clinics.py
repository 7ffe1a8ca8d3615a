"""Holiday on-duty clinic roster."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import jpholiday
import pytest

from knowledge.clinics import ClinicRoster, is_year_end, year_end_range
from knowledge.csvdata import CityDataError

DEMO = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "city" / "clinics.csv"
CSV = """date,name,specialty,address,phone,hours,lat,lon
2026-09-20,A内科,内科,本町1,000-0000-0001,9:00-17:00,39.70,140.10
2026-09-20,B歯科,歯科,本町2,000-0000-0002,9:00-12:00,,
2026-09-21,C小児科,小児科,南町1,000-0000-0003,9:00-12:00 13:00-17:00,39.69,140.10
2026-12-31,D内科,内科,北町1,000-0000-0004,9:00-17:00,,
"""


@pytest.fixture
def roster(tmp_path: Path) -> ClinicRoster:
    path = tmp_path / "clinics.csv"
    path.write_text(CSV, encoding="utf-8")
    return ClinicRoster.load(path)


def test_on_day(roster: ClinicRoster) -> None:
    assert [c.name for c in roster.on(date(2026, 9, 20))] == ["A内科", "B歯科"]
    assert roster.on(date(2026, 9, 22)) == []
    clinic = roster.on(date(2026, 9, 20))[0]
    assert (
        clinic.map_url
        == "https://www.openstreetmap.org/?mlat=39.700000&mlon=140.100000#map=16/39.700000/140.100000"
    )
    assert roster.on(date(2026, 9, 20))[1].map_url is None


def test_finished_duties_are_not_offered(roster: ClinicRoster) -> None:
    noon = datetime(2026, 9, 20, 12, 30)
    assert [c.name for c in roster.on(date(2026, 9, 20), now=noon)] == ["A内科"]
    evening = datetime(2026, 9, 20, 18, 0)
    nxt = roster.next_open(evening)
    assert nxt is not None and nxt.day == date(2026, 9, 21)
    assert roster.next_open(datetime(2026, 9, 20, 8, 0)).day == date(2026, 9, 20)  # type: ignore[union-attr]
    assert roster.next_open(datetime(2027, 1, 1, 0, 0)) is None
    assert roster.open_now(datetime(2026, 9, 21, 12, 30)) == []  # lunch break
    assert [c.name for c in roster.open_now(datetime(2026, 9, 21, 13, 0))] == ["C小児科"]


def test_year_end(roster: ClinicRoster) -> None:
    assert is_year_end(date(2026, 12, 29)) and is_year_end(date(2027, 1, 3))
    assert not is_year_end(date(2026, 12, 28)) and not is_year_end(date(2027, 1, 4))
    assert year_end_range(date(2026, 9, 1)) == (date(2026, 12, 29), date(2027, 1, 3))
    assert year_end_range(date(2027, 1, 2)) == (date(2026, 12, 29), date(2027, 1, 3))
    assert [d.day for d in roster.year_end(date(2026, 10, 1))] == [date(2026, 12, 31)]
    assert roster.year_end(date(2026, 10, 1), now=datetime(2026, 12, 31, 17, 0)) == []


def test_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        CSV + "2026-02-30,E,内科,x,0,9:00-17:00,,\n2026-10-01,F,内科,x,0,17:00-9:00,,\n"
        "2026-10-02,G,内科,x,0,9:00-12:00,39.7,\n",
        encoding="utf-8",
    )
    with pytest.raises(CityDataError) as info:
        ClinicRoster.load(path)
    assert [p.row for p in info.value.problems] == [6, 7, 8]


def test_demo_roster_covers_every_sunday_holiday_and_year_end() -> None:
    roster = ClinicRoster.load(DEMO)
    day = date(2026, 4, 1)
    while day <= date(2027, 3, 31):
        needs = day.weekday() == 6 or jpholiday.is_holiday(day) or is_year_end(day)
        clinics = roster.on(day)
        if needs:
            assert 2 <= len(clinics) <= 3, day
        else:
            assert clinics == [], day
        day += timedelta(days=1)
