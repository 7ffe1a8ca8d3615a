"""Garbage calendar from 5374.jp data: schedule expressions, holidays, year-end, areas, a directory with bad files.

Reading each file: test_data.py; item lookup: test_items.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.garbage.calendar import GarbageCalendar, GarbageDataError
from knowledge.garbage.rules import RuleSyntaxError, parse_schedule
from tests.support.garbage_files import AREA_DAYS, CENTER, DEMO, TARGET, write_dir


@pytest.fixture
def cal(tmp_path: Path) -> GarbageCalendar:
    return GarbageCalendar.load(write_dir(tmp_path), collect_on_holidays=True)


@pytest.fixture
def cal_no_holidays(tmp_path: Path) -> GarbageCalendar:
    return GarbageCalendar.load(write_dir(tmp_path), collect_on_holidays=False)


# ------------------------------------------------------------------ expressions


def test_weekly(cal: GarbageCalendar) -> None:
    # 2026-06-01 is a Monday, 06-04 a Thursday
    assert cal.collections_on("東部A", date(2026, 6, 1)) == ["燃やすごみ"]
    assert "燃やすごみ" in cal.collections_on("東部A", date(2026, 6, 4))
    assert cal.collection_dates("東部A", "燃やすごみ", date(2026, 6, 1), date(2026, 6, 14)) == [
        date(2026, 6, 1), date(2026, 6, 4), date(2026, 6, 8), date(2026, 6, 11),
    ]  # fmt: skip


def test_nth_weekday(cal: GarbageCalendar) -> None:
    # 水2: 2nd Wednesday; June 2026 Wednesdays are 3, 10, 17, 24
    assert cal.collection_dates("東部A", "燃やさないごみ", date(2026, 6, 1), date(2026, 6, 30)) == [
        date(2026, 6, 10)
    ]
    # 火1 火3
    assert cal.collection_dates("東部A", "資源", date(2026, 6, 1), date(2026, 6, 30)) == [
        date(2026, 6, 2), date(2026, 6, 16),
    ]  # fmt: skip


def test_month_limited(cal: GarbageCalendar) -> None:
    # 金4:4 6 8 10 12 2 — 4th Friday only in even months
    assert cal.collection_dates("東部A", "びん", date(2026, 5, 1), date(2026, 5, 31)) == []
    assert cal.collection_dates("東部A", "びん", date(2026, 6, 1), date(2026, 6, 30)) == [date(2026, 6, 26)]
    assert cal.schedule("東部A", "びん").describe() == "第4金曜日（2・4・6・8・10・12月）"


def test_explicit_dates(cal: GarbageCalendar) -> None:
    assert cal.collection_dates("東部A", "粗大ごみ", date(2026, 4, 1), date(2027, 3, 31)) == [
        date(2026, 5, 12), date(2026, 9, 8),
    ]  # fmt: skip
    assert cal.next_collection("東部A", "粗大ごみ", date(2026, 5, 12)) == date(2026, 9, 8)
    assert cal.next_collection("東部A", "粗大ごみ", date(2026, 5, 12), inclusive=True) == date(2026, 5, 12)
    assert cal.next_collection("東部A", "粗大ごみ", date(2026, 9, 8)) is None
    assert cal.next_collection("東部B", "粗大ごみ", date(2026, 1, 1)) is None  # empty cell


def test_every_other_week(cal: GarbageCalendar) -> None:
    # 隔水20260408: every other Wednesday from 8 April (29 April is a holiday, kept here)
    assert cal.collection_dates("東部B", "資源", date(2026, 4, 1), date(2026, 5, 10)) == [
        date(2026, 4, 8), date(2026, 4, 22), date(2026, 5, 6),
    ]  # fmt: skip


def test_remarks(cal: GarbageCalendar) -> None:
    assert cal.remarks_for("東部B", "燃やすごみ") == ["一部の通りは収集時刻が早まります。"]
    assert cal.remarks_for("東部A", "燃やすごみ") == []


# ------------------------------------------------------------------ holidays and year-end


def test_holiday_skipped_when_city_does_not_collect(
    cal: GarbageCalendar, cal_no_holidays: GarbageCalendar
) -> None:
    respect_day = date(2026, 9, 21)  # 敬老の日, a Monday
    assert "燃やすごみ" in cal.collections_on("東部A", respect_day)
    assert cal_no_holidays.collections_on("東部A", respect_day) == []
    assert cal_no_holidays.next_collection("東部A", "燃やすごみ", date(2026, 9, 19)) == date(2026, 9, 24)


def test_explicit_date_kept_on_holiday(tmp_path: Path) -> None:
    rows = AREA_DAYS.replace("20260512 20260908", "20260923")  # 秋分の日
    cal = GarbageCalendar.load(write_dir(tmp_path, area_days_csv=rows), collect_on_holidays=False)
    assert cal.collections_on("東部A", date(2026, 9, 23)) == ["粗大ごみ"]


def test_year_end_suspension_per_centre(cal: GarbageCalendar) -> None:
    # 東部: 2026/12/29–2027/1/3 (dated); 西部: 12/31–1/3 every year
    assert cal.collections_on("東部A", date(2026, 12, 31)) == []
    assert cal.next_collection("東部A", "燃やすごみ", date(2026, 12, 28)) == date(2027, 1, 4)
    assert cal.collections_on("西部A", date(2026, 12, 30)) == ["燃やすごみ"]  # Wednesday, before its pause
    assert cal.collections_on("西部A", date(2027, 1, 2)) == []  # Saturday in the pause
    assert cal.collections_on("西部A", date(2028, 1, 1)) == []  # recurring range, any year
    assert cal.is_suspended("西部A", date(2030, 12, 31))


@settings(max_examples=200, deadline=None)
@given(start=st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31)), span=st.integers(0, 60))
def test_no_collection_inside_a_suspension(start: date, span: int) -> None:
    cal = _DEMO_CAL
    end = start + timedelta(days=span)
    for area in cal.areas():
        for category in cal.categories():
            for day in cal.collection_dates(area, category, start, end):
                assert not cal.is_suspended(area, day), (area, category, day)
            nxt = cal.next_collection(area, category, start)
            if nxt is not None:
                assert not cal.is_suspended(area, nxt)


# ------------------------------------------------------------------ areas


def test_match_area(tmp_path: Path) -> None:
    cal = GarbageCalendar.load(DEMO, collect_on_holidays=False)
    assert cal.match_area("さくらがおか") == "桜ケ丘地区"
    assert cal.match_area("サクラガオカ") == "桜ケ丘地区"
    assert cal.match_area("桜ヶ丘") == "桜ケ丘地区"
    assert cal.match_area("中央") == "中央地区"
    assert cal.match_area("本町に住んでます") == "中央地区"
    assert cal.match_area("東京") is None


def test_areas_named_equally_are_all_candidates(tmp_path: Path) -> None:
    rows = AREA_DAYS.replace("東部A,", "暁町１〜３丁目,").replace("東部B,", "暁町４丁目,")
    cal = GarbageCalendar.load(write_dir(tmp_path, area_days_csv=rows))
    assert (
        cal.area_candidates("暁町のごみ") == ["暁町１〜３丁目", "暁町４丁目"]
        and cal.match_area("暁町") is None
    )
    assert cal.match_area("暁町2丁目のごみ") == "暁町１〜３丁目"
    assert [n for n, _ in cal.match_areas("暁町")] == ["暁町１〜３丁目", "暁町４丁目"]


# ------------------------------------------------------------------ categories


@pytest.mark.parametrize(
    ("question", "categories"),
    [
        ("燃えるごみはいつ？", ["燃やすごみ"]),
        ("可燃ごみ", ["燃やすごみ"]),
        ("燃えないごみ", ["燃やさないごみ"]),
        ("缶はいつ", ["びん・缶"]),
        ("スプレー缶はいつ出せる？", ["燃やさないごみ"]),  # the item, not 缶
        ("電池", ["有害ごみ"]),
        ("プラの日", ["プラスチック容器包装"]),
        ("古紙は", ["古紙・古布"]),
        ("ペットボトルとびん", ["びん・缶", "ペットボトル"]),  # column order
        ("明日のごみは", []),
    ],
)
def test_the_categories_a_question_asks_about(question: str, categories: list[str]) -> None:
    assert _DEMO_CAL.match_categories(question) == categories


def test_cans_apart_from_bottles_are_never_the_bottle_day(tmp_path: Path) -> None:
    """八王子市 collects びん and かん on different days: 「旭町の缶はいつ?」 is the かん column."""
    rows = "地名,センター,びん,かん,燃やすごみ\n旭町,,隔月20260105,隔月20260112,月 木\n"
    target = "type,name,notice,furigana\nかん,空き缶,,あ\nびん,空きびん,,あ\n"
    cal = GarbageCalendar.load(write_dir(tmp_path, area_days_csv=rows, target_csv=target))
    assert cal.match_categories("旭町の缶はいつ?") == ["かん"]
    assert cal.match_categories("旭町のびんは") == ["びん"]
    assert cal.match_category("缶とびん") is None and cal.match_categories("缶とびん") == ["びん", "かん"]


def test_a_kind_no_label_says_goes_where_the_citys_plain_item_goes(tmp_path: Path) -> None:
    rows = "地名,センター,可燃ごみ,不燃ごみ,資源\n青葉台,,火 金,土1,木\n"
    target = (
        "label,name,notice,furigana\n資源,缶（飲料・食品用）,,か\n不燃ごみ,スプレー缶,,す\n"
        "不燃ごみ,殺虫剤スプレー缶,,さ\n"
    )
    cal = GarbageCalendar.load(write_dir(tmp_path, area_days_csv=rows, target_csv=target))
    assert cal.match_categories("缶はいつ") == ["資源"]  # 目黒区: not the column most 缶 items are in
    assert cal.match_categories("びんはいつ") == []  # neither label nor item says: nothing is guessed


def test_by_when_to_put_garbage_out_is_what_the_city_says(tmp_path: Path) -> None:
    assert _DEMO_CAL.put_out_rules(["燃やすごみ", "びん・缶"]) == [
        "指定袋（赤）で朝8時までに出してください。"
    ]
    # the demo's 7:30 remark is 駅前地区's (*1), not everyone's
    assert _DEMO_CAL.put_out_rules(["資源"]) == []
    remarks = "ID,注意事項\n1,一部の通りは収集時刻が早まります。\n2,ごみは収集日の午前8時30分までに出してください。\n"
    cal = GarbageCalendar.load(write_dir(tmp_path, remarks_csv=remarks))
    assert cal.put_out_rules(["燃やすごみ"]) == ["ごみは収集日の午前8時30分までに出してください。"]


def test_an_item_category_is_collected_in_the_column_holding_it(tmp_path: Path) -> None:
    rows = "地名,センター,可燃ごみ,食品用ビン・食品用スチール缶\n橋本,,火,木2\n"
    target = "type,name,notice,furigana\n食品用ビン・スチール缶,ジャムのびん,,あ\n"
    description = "label,sublabel,description,styles,bgcolor\n食品用ビン・スチール缶,,洗って出す,,\n"
    cal = GarbageCalendar.load(
        write_dir(tmp_path, area_days_csv=rows, target_csv=target, description_csv=description)
    )
    assert cal.column_of("食品用ビン・スチール缶") == "食品用ビン・食品用スチール缶"
    assert cal.category_info("食品用ビン・食品用スチール缶").description == "洗って出す"


# ------------------------------------------------------------------ bad data


def test_bad_center_and_target(tmp_path: Path) -> None:
    """Every problem of every file at once; what was read with a warning is shown too, to fix in one go."""
    center = CENTER + "北部センター,2026/13/01,2027/1/3\n"
    target = TARGET.replace("type,", "label,") + "資源,,,\n"
    with pytest.raises(GarbageDataError) as info:
        GarbageCalendar.load(write_dir(tmp_path, center_csv=center, target_csv=target))
    assert {(p.file, p.row) for p in info.value.problems} == {("center.csv", 4)}
    assert [(w.file, w.row) for w in info.value.warnings] == [("target.csv", 1), ("target.csv", 8)]


@pytest.mark.parametrize("cell", ["月8", "水2:13", "隔水20260407", "20261341", "火:", "毎週月", ":4 5"])
def test_bad_expressions(cell: str) -> None:
    with pytest.raises(RuleSyntaxError):
        parse_schedule(cell)


def test_cp932_file(tmp_path: Path) -> None:
    d = write_dir(tmp_path)
    (d / "area_days.csv").write_bytes(AREA_DAYS.encode("cp932"))
    assert GarbageCalendar.load(d).areas() == ["東部A", "東部B", "西部A"]


# ------------------------------------------------------------------ the demo city


def test_demo_data_loads() -> None:
    cal = _DEMO_CAL
    assert len(cal.areas()) == 8
    assert cal.item_count() >= 120
    item_categories = {m.category for text in ("電池", "新聞", "テレビ") for m in cal.categorize(text)}
    assert "有害ごみ" in item_categories
    # 山手地区: 3rd Wednesday April–November plus explicit winter dates
    assert cal.collection_dates("山手地区", "燃やさないごみ", date(2026, 12, 1), date(2027, 3, 31)) == [
        date(2026, 12, 16), date(2027, 2, 17),
    ]  # fmt: skip


_DEMO_CAL = GarbageCalendar.load(DEMO, collect_on_holidays=False)


def test_holiday_policy_per_category_overrides_the_city_wide_flag() -> None:
    respect_day = date(2026, 9, 21)  # 敬老の日, a Monday: 燃やすごみ of 中央地区
    cal = GarbageCalendar.load(DEMO, collect_on_holidays=False, holiday_policy={"燃やすごみ": True})
    assert cal.collects("中央地区", "燃やすごみ", respect_day)
    assert cal.skip_reason("中央地区", "プラスチック容器包装", date(2026, 9, 22)) == "holiday"
    assert not _DEMO_CAL.collects("中央地区", "燃やすごみ", respect_day)
    opposite = GarbageCalendar.load(DEMO, collect_on_holidays=True, holiday_policy={"燃やすごみ": False})
    assert opposite.next_collection("中央地区", "燃やすごみ", date(2026, 9, 20)) != respect_day
    assert opposite.collects("中央地区", "プラスチック容器包装", date(2026, 9, 22))
