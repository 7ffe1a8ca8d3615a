"""Real cities' published 5374 data (``tests/data/garbage5374/<city>``, unchanged: each file's git blob hash is the one
in the city's SOURCE.md) imports as it is, says what it read in a way the files do not say plainly, and answers a
resident's question from the city's own words; data with genuine errors is refused with rows and the fix."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import pytest

from knowledge.garbage.calendar import GarbageCalendar, GarbageDataError

CITIES = Path(__file__).resolve().parents[2] / "data" / "garbage5374"
JUNE_1 = date(2026, 6, 1)  # a Monday

# city: areas, categories, items, warnings (file, row)
IMPORTED = {
    "kanazawa": (71, 4, 1251, [("area_days.csv", 1)]),  # 校下・地区
    "kodaira": (22, 4, 565, [("target.csv", 1)]),  # label
    "meguro": (44, 3, 99, [("target.csv", 1)]),
    "saga": (
        314,
        4,
        270,
        [("description.csv", 2), ("area_days.csv", 1), ("target.csv", 1)],
    ),  # <br />, no name
    "ogi": (181, 5, 267, [("description.csv", 2), ("target.csv", 1)]),
    "hashimoto": (112, 9, 536, [("area_days.csv", 14), ("area_days.csv", 65)]),  # the same row twice
    "joyo": (2, 6, 724, []),
    "kyotango": (169, 7, 776, [("area_days.csv", 1)]),  # 地区
    "takamatsu": (35, 5, 147, [("target.csv", 1), ("target.csv", 2)]),  # label, the header again
    "chigasaki": (8, 7, 545, [("target.csv", n) for n in (135, 139, 337, 450, 491, 625, 629, 827, 940)]),
    "shinagawa": (4, 3, 6, [("target.csv", 1)]),
}
REFUSED = {
    "hachioji": [6, 22, 30, 37, 38, 69, 70, 74, 115, 116, 120, 132, 134],
    "izunokuni": [18, 19, 19],
}
_LOADED: dict[str, GarbageCalendar] = {}


def city(name: str) -> GarbageCalendar:
    if name not in _LOADED:
        _LOADED[name] = GarbageCalendar.load(CITIES / name)
    return _LOADED[name]


def test_every_city_folder_is_listed() -> None:
    assert sorted(p.name for p in CITIES.iterdir() if p.is_dir()) == sorted([*IMPORTED, *REFUSED])
    assert len(IMPORTED) >= 8


@pytest.mark.parametrize("name", [*IMPORTED, *REFUSED])
def test_the_files_are_the_published_ones_byte_for_byte(name: str) -> None:
    source = (CITIES / name / "SOURCE.md").read_text(encoding="utf-8")
    assert re.search(r"^- Repository: https://github\.com/\S+", source, re.M)
    assert re.search(r"^- Commit: `[0-9a-f]{40}`", source, re.M)
    assert re.search(r"^- Licence: ", source, re.M)
    listed = dict(re.findall(r"^\| (\S+\.csv) \| \d+ \| ([0-9a-f]{40}) \|$", source, re.M))
    files = sorted(p.name for p in (CITIES / name).glob("*.csv"))
    assert sorted(listed) == files
    for file in files:
        data = (CITIES / name / file).read_bytes()
        assert hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() == listed[file], file


@pytest.mark.parametrize("name", IMPORTED)
def test_the_city_imports_unchanged(name: str) -> None:
    areas, categories, items, warnings = IMPORTED[name]
    cal = city(name)
    assert (len(cal.areas()), len(cal.categories()), cal.item_count()) == (areas, categories, items)
    assert [(w.file, w.row) for w in cal.warnings] == warnings
    assert all(" / " in w.message for w in cal.warnings)  # Japanese / English
    for area in cal.areas():  # every area has a collection day within the next year
        assert any(cal.next_collection(area, c, JUNE_1) for c in cal.categories())


def test_genuine_errors_are_refused_with_rows_and_the_fix() -> None:
    with pytest.raises(GarbageDataError) as info:
        GarbageCalendar.load(CITIES / "hachioji")
    problems = info.value.problems
    assert [(p.file, p.row) for p in problems] == [("area_days.csv", n) for n in REFUSED["hachioji"]]
    anchor = problems[0].message  # 泉町: 隔火20150114, but 2015-01-14 is a Wednesday
    assert anchor.startswith("泉町 / かん: 起点日 2015/01/14 は水曜日で、火曜日ではありません。")
    assert "隔火20150113 か 隔火20150120" in anchor and "隔水20150114" in anchor and "Wednesday" in anchor
    assert "2015年1月98日という日はありません" in problems[3].message  # 北野町: 隔金20150198
    # what would have been read anyway is said too, to fix in the same go: 「櫛(木製・竹製・プラスチック製) 可燃ごみ」
    assert [(w.row, "末尾の「可燃ごみ」を分別として読みます" in w.message) for w in info.value.warnings] == [
        (174, True)
    ]

    with pytest.raises(GarbageDataError) as info:
        GarbageCalendar.load(CITIES / "izunokuni")
    assert [p.row for p in info.value.problems] == REFUSED["izunokuni"]
    assert "第6水曜日はありません。第1〜第5で書いてください" in info.value.problems[0].message


# ------------------------------------------------------------------ a resident's question, answered from each city's data


def next_of(name: str, area_text: str, question: str) -> list[tuple[str, str, date | None]]:
    cal = city(name)
    area = cal.match_area(area_text)
    assert area is not None, cal.area_candidates(area_text)
    return [(area, c, cal.next_collection(area, c, JUNE_1)) for c in cal.match_categories(question)]


@pytest.mark.parametrize(
    ("name", "area_text", "question", "expected"),
    [
        # a hiragana area found by its reading, no alias file (浅野川 あさのがわ)
        ("kanazawa", "あさのがわです", "びんはいつ？", [("浅野川", "あきびん", date(2026, 6, 10))]),
        ("kodaira", "きへいちょう", "缶の日は", [("喜平町", "ビン、カン、ペットボトル、プラスチック容器（資源）", date(2026, 6, 3))]),
        # 青葉台一丁目から四丁目 holds 3丁目; cans are 資源 in 目黒区, as its item 缶（飲料・食品用） says
        ("meguro", "青葉台3丁目のごみ", "缶はいつ", [("青葉台一丁目から四丁目", "資源", date(2026, 6, 4))]),
        ("saga", "大和町の福島", "燃えないごみは？", [("福島（大和町）", "燃えないごみ", date(2026, 6, 15))]),
        ("ogi", "牛津本町", "容器包装プラは", [("牛津本町", "容器包装プラスチック", date(2026, 6, 10))]),
        # cans go two ways in 橋本市: both columns, never the bottles alone
        ("hashimoto", "小峰台", "缶はいつ", [("小峰台", "食品用ビン・食品用スチール缶", date(2026, 6, 25)),
                                         ("小峰台", "アルミ缶", date(2026, 6, 19))]),
        ("joyo", "東部地区", "空き缶", [("東部地区", "空カン", date(2026, 6, 11))]),
        ("kyotango", "峰山町3区", "びんの日", [("峰山町３区", "空きびん", date(2026, 6, 3))]),
        ("takamatsu", "香川の浅野", "燃えないごみ", [("香川（浅野）", "破砕ゴミ（有害ごみ）", date(2026, 6, 5))]),
        ("chigasaki", "甘沼に住んでます", "燃えないごみ",
         [("香川・松風台・甘沼・行谷・芹沢・堤・下寺尾・みずき地区", "燃やせないごみ", date(2026, 6, 3))]),
        ("shinagawa", "荏原6丁目", "燃えないごみ", [("荏原5・6丁目", "陶器・ガラス・金属ごみ", date(2026, 6, 6))]),
    ],
)  # fmt: skip
def test_a_question_per_city(
    name: str, area_text: str, question: str, expected: list[tuple[str, str, date]]
) -> None:
    assert next_of(name, area_text, question) == expected


def test_a_town_in_two_groups_or_parts_is_offered_as_choices() -> None:
    assert city("saga").area_candidates("福島") == ["福島（大和町）", "福島（久保田町）"]
    assert city("saga").area_candidates("大財6丁目") == [
        "大財六丁目1番26～30号", "大財四～六丁目（六丁目1番26～30号を除く）",
    ]  # fmt: skip
    assert city("shinagawa").area_candidates("荏原のごみ") == [
        "荏原1丁目",
        "荏原2～4丁目",
        "荏原5・6丁目",
        "荏原7丁目",
    ]
    # the first dozen of its 18 numbered districts
    assert len(city("kyotango").area_candidates("峰山町")) == 12


def test_several_month_groups_in_one_cell() -> None:
    """茅ヶ崎市: 水1:6 7 11 12 1 2 3 水2:4 5 8 9 10 水3:… — 2nd/4th Wednesday in spring, 1st/3rd in June."""
    cal = city("chigasaki")
    area = cal.match_area("甘沼")
    assert area is not None
    assert cal.collection_dates(area, "燃やせないごみ", date(2026, 5, 1), date(2026, 6, 30)) == [
        date(2026, 5, 13), date(2026, 5, 27), date(2026, 6, 3), date(2026, 6, 17),
    ]  # fmt: skip


def test_the_citys_own_words_about_when_to_put_garbage_out() -> None:
    assert city("hashimoto").put_out_rules(["可燃ごみ"]) == ["ごみは、収集当日に朝8時までに出してください。"]
    assert city("kanazawa").put_out_rules(["燃やすごみ"]) == []  # 金沢市 says no time: none is made up
    description = city("saga").category_info("燃えるごみ").description
    assert description.startswith("・指定袋に入れてください。\n・生ごみは") and "<br" not in description


def test_an_item_that_goes_two_ways() -> None:
    """茅ヶ崎市 lists 車の部品 as 処理困難物, and on the next row, without its name, as 大型ごみ for car carriers."""
    found = {(m.item, m.category) for m in city("chigasaki").categorize("車の部品", limit=5)}
    assert {("車の部品", "処理困難物"), ("車の部品", "大型ごみ")} <= found
