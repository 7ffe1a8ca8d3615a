"""actions.report_parsing: locations (typed, shared, from a photo), urgent hazards, the resident's own photos."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa_sdk import Tracker

from actions.report_parsing import (
    SKIP,
    decode_location,
    describe_location,
    emergency_response,
    encode_location,
    location_from_metadata,
    own_photos,
    photo_gps,
    place_near,
    short_address,
    urgent_hazard,
    warned_in_this_form,
)
from knowledge.snowplow import load_areas
from tests.support.citydata import DEMO_DIR
from tests.support.report_form import GPS, SENDER, photo, report_runtime


def test_locations_round_trip_and_describe_themselves() -> None:
    value = encode_location(35.6895, 139.6917, "中央町3丁目\n角")
    assert value == "35.689500,139.691700 中央町3丁目 角"
    assert decode_location(value) == (35.6895, 139.6917, "中央町3丁目 角")
    assert decode_location("駅前のローソン") == (None, None, "駅前のローソン")
    assert decode_location(SKIP) == (None, None, "")
    assert decode_location("95.0,10.0") == (None, None, "95.0,10.0")  # not a place on Earth: kept as text
    assert describe_location(None) == "(指定なし)"


def test_a_place_is_described_in_words_never_raw_coordinates() -> None:
    """Issue 17, item 18: 「写真の位置情報(39.70200, 140.10100 付近)」 meant little to residents."""
    assert describe_location("35.100000,139.200000") == "地図で送っていただいた場所"
    assert describe_location("35.100000,139.200000 中央町3丁目") == "中央町3丁目(地図の位置つき)"
    assert short_address("日本、〒010-0001 秋田県秋田市中通2丁目") == "秋田県秋田市中通2丁目"


def test_a_point_is_named_offline_from_the_citys_own_areas() -> None:
    areas = load_areas(DEMO_DIR / "snowplow_areas.csv")
    assert place_near(areas, 39.7020, 140.1010) == "中央地区"  # inside its polygon
    assert place_near(areas, 39.7065, 140.1075) == "駅前地区"  # inside its circle
    assert place_near(areas, 39.7050, 140.0900) == "中央地区"  # outside every area, near its centre
    assert place_near(areas, 35.6812, 139.7671) is None  # Tokyo: not this city


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


def test_the_emergency_number_is_known_given_by_its_response_whatever_its_wording() -> None:
    def tracker(*events: dict) -> Tracker:
        return Tracker(
            "s", {}, {}, [{"event": "active_loop", "name": "report_form"}, *events], False, None, {}, None
        )

    reworded = {
        "event": "bot",
        "text": "危ないときは緊急ダイヤルへ。",
        "metadata": {"utter_action": "utter_report_emergency_road"},
    }
    assert emergency_response("road") == "utter_report_emergency_road"
    assert warned_in_this_form(tracker(reworded), "road", "000-0000-1190")
    assert not warned_in_this_form(tracker(reworded), "water", "000-0000-2190")
    assert warned_in_this_form(
        tracker({"event": "bot", "text": "水道 000-0000-2190 へ"}), "water", "000-0000-2190"
    )
    assert not warned_in_this_form(tracker(), "road", "000-0000-1190")
