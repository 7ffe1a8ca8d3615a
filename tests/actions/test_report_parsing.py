"""actions.report_parsing: locations (typed, shared, from a photo), urgent hazards, the resident's own photos."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.report_parsing import (
    SKIP,
    decode_location,
    describe_location,
    encode_location,
    location_from_metadata,
    own_photos,
    photo_gps,
    urgent_hazard,
)
from tests.support.report_form import GPS, SENDER, photo, report_runtime


def test_locations_round_trip_and_describe_themselves() -> None:
    value = encode_location(35.6895, 139.6917, "中央町3丁目\n角")
    assert value == "35.689500,139.691700 中央町3丁目 角"
    assert decode_location(value) == (35.6895, 139.6917, "中央町3丁目 角")
    assert decode_location("駅前のローソン") == (None, None, "駅前のローソン")
    assert decode_location(SKIP) == (None, None, "")
    assert decode_location("95.0,10.0") == (None, None, "95.0,10.0")  # not a place on Earth: kept as text
    assert describe_location("35.100000,139.200000") == "地図の位置(35.10000, 139.20000)"
    assert describe_location(None) == "(指定なし)"


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"location": {"lat": 35.1, "lon": 139.2, "address": None}}, "35.100000,139.200000"),
        ({"location": {"lat": "x", "lon": 1}}, None),
        ({"location": {"lat": 91, "lon": 1}}, None),
        ({"photo_ids": ["a"]}, None),
    ],
)
def test_shared_location_from_metadata(metadata: dict, expected: str | None) -> None:
    assert location_from_metadata(metadata) == expected


@pytest.mark.parametrize(
    ("text", "hazard"),
    [
        ("国道に大きな穴があいていて夜は危ない", "road"),
        ("倒木で道がふさがっています", "road"),
        ("道路から水が噴き出している", "water"),
        ("歩道に小さな穴があります", None),
    ],
)
def test_urgent_hazards(text: str, hazard: str | None) -> None:
    assert urgent_hazard(text) == hazard


def test_only_the_residents_own_photos_count(tmp_path: Path) -> None:
    rt, engine = report_runtime(tmp_path)
    mine, theirs = photo(rt.settings, GPS), photo(rt.settings, owner="line-someone-else")
    store = rt.photos()
    assert own_photos(store, [mine, theirs, mine, "f" * 32, 7], SENDER) == [mine]
    assert own_photos(store, "not-a-list", SENDER) == []
    assert photo_gps(store, [theirs, mine]) == (pytest.approx(GPS[0]), pytest.approx(GPS[1]))
    assert photo_gps(store, SKIP) is None
    engine.dispose()
