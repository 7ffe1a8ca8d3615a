"""Snowplow areas, passes and season."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from knowledge.csvdata import CityDataError
from knowledge.snowplow import (
    Position,
    SnowplowArea,
    current_positions,
    in_season,
    last_plowed,
    load_areas,
    map_link,
    match_area,
    plow_history,
)

DEMO = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "city" / "snowplow_areas.csv"
T0 = datetime(2027, 1, 15, 5, 0)
CIRCLE = SnowplowArea("駅前地区", 39.7060, 140.1070, 500)
SQUARE = SnowplowArea(
    "中央地区",
    39.70,
    140.10,
    polygon=((39.6965, 140.094), (39.6965, 140.106), (39.7055, 140.106), (39.7055, 140.094)),
)


def pos(vid: str, lat: float, lon: float, minutes: int) -> Position:
    return Position(vid, lat, lon, T0 + timedelta(minutes=minutes))


def test_contains() -> None:
    assert CIRCLE.contains(39.7060, 140.1070)
    assert CIRCLE.contains(39.7095, 140.1070)  # ~390 m north
    assert not CIRCLE.contains(39.7120, 140.1070)  # ~670 m north
    assert SQUARE.contains(39.70, 140.10)
    assert not SQUARE.contains(39.71, 140.10)


def test_last_plowed_and_history() -> None:
    positions = [
        pos("P1", 39.70, 140.10, 0),  # in 中央
        pos("P1", 39.7060, 140.1070, 30),  # in 駅前 (circle) — also outside the square
        pos("P2", 39.70, 140.101, 45),  # in 中央 again
        pos("P2", 39.80, 140.30, 60),  # nowhere
    ]
    assert last_plowed(SQUARE, positions) == T0 + timedelta(minutes=45)
    assert last_plowed(CIRCLE, positions) == T0 + timedelta(minutes=30)
    assert last_plowed(CIRCLE, []) is None
    history = plow_history([SQUARE, CIRCLE], positions)
    assert history["中央地区"] == [T0, T0 + timedelta(minutes=45)]


def test_current_positions() -> None:
    positions = [pos("P1", 39.70, 140.10, 0), pos("P1", 39.71, 140.10, 10), pos("P2", 39.7, 140.1, -120)]
    now = T0 + timedelta(minutes=15)
    current = current_positions(positions, now, timedelta(minutes=30))
    assert list(current) == ["P1"] and current["P1"].lat == 39.71
    assert (
        current_positions(positions, T0 - timedelta(minutes=1), timedelta(hours=1)) == {}
    )  # none from the future


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2026, 12, 1), True), (date(2027, 1, 15), True), (date(2027, 3, 31), True),
     (date(2027, 4, 1), False), (date(2026, 11, 30), False), (date(2026, 7, 1), False)],
)  # fmt: skip
def test_in_season_wraps_the_year(day: date, expected: bool) -> None:
    assert in_season(day, "12-01", "03-31") is expected
    assert in_season(day, (12, 1), (3, 31)) is expected


def test_map_link() -> None:
    assert map_link(39.7, 140.1) == (
        "https://www.openstreetmap.org/?mlat=39.700000&mlon=140.100000#map=16/39.700000/140.100000"
    )


def test_demo_areas_and_matching() -> None:
    areas = load_areas(DEMO)
    assert len(areas) == 8
    assert match_area(areas, "さくらがおかは除雪された？").name == "桜ケ丘地区"  # type: ignore[union-attr]
    assert match_area(areas, "本町").name == "中央地区"  # type: ignore[union-attr]
    assert match_area(areas, "札幌") is None
    central = next(a for a in areas if a.name == "中央地区")
    assert central.polygon and central.route_ids == ("C1", "C2")


def test_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "area,aliases,lat,lon,radius_m,polygon,route_ids\nA,,39.7,140.1,,,\nB,,95,140.1,100,,\n"
        "C,,39.7,140.1,,39.7 140.1;39.8 140.2,\n",
        encoding="utf-8",
    )
    with pytest.raises(CityDataError) as info:
        load_areas(path)
    assert [p.row for p in info.value.problems] == [2, 3, 4]
