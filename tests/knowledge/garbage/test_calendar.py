"""Garbage calendar from 5374.jp data: schedule expressions, holidays, year-end, item lookup."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.garbage.calendar import GarbageCalendar, GarbageDataError
from knowledge.garbage.rules import RuleSyntaxError, parse_schedule

DEMO = Path(__file__).resolve().parents[3] / "knowledge" / "data" / "city"

# Real-shaped 5374 rows (Kanazawa-style header and centre file, Ibaraki-style month limits).
AREA_DAYS = """地名,センター,燃やすごみ,燃やさないごみ,資源,びん,粗大ごみ
東部A,東部管理センター,月 木,水2,火1 火3,金4:4 6 8 10 12 2,20260512 20260908
東部B,東部管理センター,火 金 *1,水4,隔水20260408,木2,
西部A,西部管理センター,水 土,月1,火2 火4,金2:1 2 3,20260519
"""
CENTER = """名称,休止開始日,休止終了日
東部管理センター,2026/12/29,2027/1/3
西部管理センター,12/31,1/3
"""
TARGET = """type,name,notice,furigana
燃やすごみ,生ごみ,水を切る,なまごみ
燃やさないごみ,スプレー缶,使い切る,すぷれーかん
資源,ペットボトル,キャップを外す,ぺっとぼとる
資源,新聞紙,ひもでしばる,しんぶんし
びん,ビールびん,,びーるびん
粗大ごみ,自転車（子供用）,申込制,じてんしゃ
"""
DESCRIPTION = """label,sublabel,description,styles,bgcolor
燃やすごみ,,,,#ff0000
燃やさないごみ,,,,#0000ff
資源,,,,#00ff00
びん,,,,#00ffff
粗大ごみ,,,,#777777
"""
REMARKS = "ID,注意事項\n1,一部の通りは収集時刻が早まります。\n"


def write_dir(tmp_path: Path, **overrides: str) -> Path:
    files = {
        "area_days.csv": AREA_DAYS,
        "center.csv": CENTER,
        "target.csv": TARGET,
        "description.csv": DESCRIPTION,
        "remarks.csv": REMARKS,
    }
    files.update({k.replace("_csv", ".csv"): v for k, v in overrides.items()})
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


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


# ------------------------------------------------------------------ items and areas


def test_categorize_kana_variants(cal: GarbageCalendar) -> None:
    for text in ("ペットボトル", "ぺっとぼとる", "ﾍﾟｯﾄﾎﾞﾄﾙ", "ペットボトルはどうやって捨てる？"):
        best = cal.categorize(text)[0]
        assert (best.item, best.category, best.note) == ("ペットボトル", "資源", "キャップを外す")
        assert best.score >= 0.9


def test_categorize_typo_and_reading(cal: GarbageCalendar) -> None:
    assert cal.categorize("ぺっとぼとう")[0].item == "ペットボトル"
    assert cal.categorize("しんぶんし")[0].item == "新聞紙"
    assert cal.categorize("自転車は何ごみ？")[0].item == "自転車（子供用）"
    assert cal.categorize("ふにゃほげ") == []


def test_match_area(tmp_path: Path) -> None:
    cal = GarbageCalendar.load(DEMO, collect_on_holidays=False)
    assert cal.match_area("さくらがおか") == "桜ケ丘地区"
    assert cal.match_area("サクラガオカ") == "桜ケ丘地区"
    assert cal.match_area("桜ヶ丘") == "桜ケ丘地区"
    assert cal.match_area("中央") == "中央地区"
    assert cal.match_area("本町に住んでます") == "中央地区"
    assert cal.match_area("東京") is None


# ------------------------------------------------------------------ bad data


def test_bad_rows_are_reported_with_file_and_row(tmp_path: Path) -> None:
    rows = AREA_DAYS + "北部,東部管理センター,月 火x,水2,,,\n南部,無いセンター,月,,,,\n"
    with pytest.raises(GarbageDataError) as info:
        GarbageCalendar.load(write_dir(tmp_path, area_days_csv=rows))
    problems = info.value.problems
    assert [(p.file, p.row) for p in problems] == [("area_days.csv", 5), ("area_days.csv", 6)]
    assert "火x" in problems[0].message
    assert "無いセンター" in problems[1].message
    assert "area_days.csv 行5" in str(info.value)


def test_bad_center_and_target(tmp_path: Path) -> None:
    center = CENTER + "北部センター,2026/13/01,2027/1/3\n"
    target = TARGET + "資源,,,\n"
    with pytest.raises(GarbageDataError) as info:
        GarbageCalendar.load(write_dir(tmp_path, center_csv=center, target_csv=target))
    assert {(p.file, p.row) for p in info.value.problems} == {("center.csv", 4), ("target.csv", 8)}


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
