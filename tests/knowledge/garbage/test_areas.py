"""Finding the area a resident names: qualifiers cut into places, inside sentences, by reading, and every area that
fits equally well (names as real cities write them; the whole files: test_calendar_real_cities.py)."""

from __future__ import annotations

import pytest

from knowledge.garbage.areas import AreaIndex, Place, norm, places_of
from knowledge.garbage.data import Area
from knowledge.reading import Reader


@pytest.mark.parametrize(
    ("town", "places"),
    [
        ("暁町１〜３丁目", [Place("暁町", frozenset({1, 2, 3}))]),  # 八王子市
        ("青葉台一丁目から四丁目", [Place("青葉台", frozenset({1, 2, 3, 4}))]),  # 目黒区
        ("大岡山一丁目・二丁目", [Place("大岡山", frozenset({1, 2}))]),
        ("荏原5・6丁目", [Place("荏原", frozenset({5, 6}))]),  # 品川区
        ("峰山町１区", [Place("峰山町", frozenset({1}))]),  # 京丹後市
        ("峰山町元町区", [Place("峰山町元町")]),
        ("香川・松風台・甘沼地区", [Place("香川"), Place("松風台"), Place("甘沼")]),  # 茅ヶ崎市
        ("高松第一（松島・築地）", [Place("高松第一"), Place("松島"), Place("築地")]),  # 高松市
        ("赤松町（9番37号・12番の南側を除く）", [Place("赤松町")]),  # 佐賀市: an exclusion is no place
        ("大財四～六丁目（六丁目1番26～30号を除く）", [Place("大財", frozenset({4, 5, 6}))]),
        ("南部 中条(6、8組)", [Place("南部"), Place("中条")]),  # 伊豆の国市
        ("一本松", [Place("一本松")]),  # 一 is no number here
        ("四日町", [Place("四日町")]),
    ],
)
def test_places_of_an_area_name(town: str, places: list[Place]) -> None:
    assert places_of(town) == places


def test_names_are_compared_in_one_form() -> None:
    assert norm("サクラガオカ") == "さくらがおか"
    assert norm("桜ヶ丘") == norm("桜ケ丘") == norm("桜が丘")
    assert norm("ひばりヶ丘") == norm("ひばりが丘")


AREAS = [
    Area("暁町１〜３丁目", "", {}, town="暁町１〜３丁目"),
    Area("暁町４丁目", "", {}, town="暁町４丁目"),
    Area("旭町", "", {}, town="旭町"),
    Area("牛津本町", "", {}, town="牛津本町"),
    Area("福島（大和町）", "", {}, town="福島", ward="大和町"),
    Area("福島（久保田町）", "", {}, town="福島", ward="久保田町"),
    Area("中央地区", "", {}, aliases=("本町",), town="中央地区"),
]


@pytest.fixture(scope="module")
def index() -> AreaIndex:
    return AreaIndex(AREAS, Reader())


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("暁町2丁目のごみは？", ["暁町１〜３丁目"]),
        ("暁町4-12-3です", ["暁町４丁目"]),
        ("暁町", ["暁町１〜３丁目", "暁町４丁目"]),  # which 丁目? both to choose from
        ("暁町9丁目", ["暁町１〜３丁目", "暁町４丁目"]),  # no such 丁目: the town's areas to choose from
        ("あかつきちょう2ちょうめ", ["暁町１〜３丁目"]),  # by reading, 町 as ちょう …
        ("あさひまち", ["旭町"]),  # … or まち
        ("牛津本町のごみ", ["牛津本町"]),  # not also 本町 (中央地区's alias) inside it
        ("本町に住んでます", ["中央地区"]),
        ("福島", ["福島（大和町）", "福島（久保田町）"]),
        ("久保田町の福島", ["福島（久保田町）"]),  # the group's name tells them apart
        ("福島（大和町）のごみの日", ["福島（大和町）"]),  # a button's text
        ("東京", []),
    ],
)
def test_candidates(index: AreaIndex, text: str, candidates: list[str]) -> None:
    assert index.candidates(text) == candidates


def test_a_typo_still_finds_the_area(index: AreaIndex) -> None:
    assert index.candidates("牛津本丁") == ["牛津本町"]


def test_readings_are_made_only_for_a_kana_question() -> None:
    class CountingReader(Reader):
        calls = 0

        def read(self, text: str) -> str:
            CountingReader.calls += 1
            return super().read(text)

    index = AreaIndex(AREAS, CountingReader())
    index.candidates("暁町2丁目")
    assert CountingReader.calls == 0
    index.candidates("あさひちょう")
    made = CountingReader.calls
    index.candidates("あさひちょう")
    assert made > 0 and CountingReader.calls == made  # once
