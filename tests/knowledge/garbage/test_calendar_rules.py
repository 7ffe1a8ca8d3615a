"""Cell expressions as cities write them beyond the 5374 template, and errors that say the fix
(`knowledge.garbage.rules`, through the calendar that reads them)."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.garbage.rules import RuleSyntaxError, parse_schedule


def test_several_month_groups_in_one_cell() -> None:
    """茅ヶ崎市: a token that is no month number ends the month list and starts the next group."""
    s = parse_schedule("水1:6 7 11 12 1 2 3 水2:4 5 8 9 10 水3:6 7 11 12 1 2 3 水4:4 5 8 9 10 水5:7")
    assert s.matches(date(2026, 6, 3)) and not s.matches(date(2026, 6, 10))  # 1st, not 2nd Wednesday of June
    assert s.matches(date(2026, 5, 13)) and not s.matches(date(2026, 5, 6))  # 2nd, not 1st of May
    assert s.matches(date(2026, 7, 29)) and not s.matches(date(2026, 9, 30))  # a 5th Wednesday only in July
    assert s.in_months(date(2026, 9, 1)) and not s.is_empty
    # groups with the same months are one
    assert s.describe() == (
        "第1・第3水曜日（1・2・3・6・7・11・12月）、第2・第4水曜日（4・5・8・9・10月）、第5水曜日（7月）"
    )


def test_a_group_after_months_may_be_unlimited_or_dates() -> None:
    s = parse_schedule("火2:4 5 20260901")
    assert s.matches(date(2026, 4, 14)) and s.matches(date(2026, 9, 1)) and not s.matches(date(2026, 6, 9))
    assert parse_schedule("月1:4 5 木").matches(date(2026, 6, 4))  # 木 has no month list


def test_the_single_month_list_of_the_template_is_unchanged() -> None:
    s = parse_schedule("火2 金4:4 6 8 10 12 2")
    assert s.groups == () and s.months == frozenset({4, 6, 8, 10, 12, 2})
    assert s.describe() == "第2火曜日、第4金曜日（2・4・6・8・10・12月）"


@pytest.mark.parametrize("cell", ["月・木", "月、木", "月 木"])
def test_days_listed_with_japanese_separators(cell: str) -> None:
    assert parse_schedule(cell).weekdays == frozenset({0, 3})


@pytest.mark.parametrize(
    ("cell", "same_as"),
    [("第4水", "水4"), ("第2月曜日 第4月曜", "月2 月4"), ("水曜日", "水"), ("月曜・木曜", "月 木"),
     ("第1水曜日:4 5", "水1:4 5")],
)  # fmt: skip
def test_days_written_out_in_japanese(cell: str, same_as: str) -> None:
    """京都市 writes 第4水 and 水曜日 in some cells."""
    a, b = parse_schedule(cell), parse_schedule(same_as)
    assert (a.weekdays, a.nth_weekdays, a.months) == (b.weekdays, b.nth_weekdays, b.months)


@pytest.mark.parametrize("cell", ["なし", "収集なし", "収集していません", "-", ""])
def test_never_collected(cell: str) -> None:
    assert parse_schedule(cell).is_empty


def test_full_width_numbers() -> None:
    assert parse_schedule("金１:5 7 9 11 1 3").nth_weekdays == frozenset({(4, 1)})  # 橋本市


@pytest.mark.parametrize(
    ("cell", "fix"),
    [
        ("隔火20150114", "起点日 2015/01/14 は水曜日で、火曜日ではありません。火曜日なら 隔火20150113 か 隔火20150120、"
                         "水曜日なら 隔水20150114 と書いてください"),  # 八王子市
        ("水6", "第6水曜日はありません。第1〜第5で書いてください（水1〜水5）"),  # 伊豆の国市
        ("隔金20150198", "2015年1月98日という日はありません。年月日を YYYYMMDD（例 20260415）で書いてください"),
        ("火:", "コロンの後に月がありません。「水2:4 6 8」のように月を書いてください"),
        (":4 5", "月の指定だけで曜日がありません。「水2:4 6 8」のようにコロンの前に曜日を書いてください"),
        ("水1:4 5 :6", "月の指定だけで曜日がありません"),  # a second colon with no days before it
    ],
)  # fmt: skip
def test_errors_say_the_fix_in_japanese_and_english(cell: str, fix: str) -> None:
    with pytest.raises(RuleSyntaxError) as info:
        parse_schedule(cell)
    message = str(info.value)
    assert message.startswith(fix) and " / " in message
