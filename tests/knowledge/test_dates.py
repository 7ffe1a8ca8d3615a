"""Dates named in residents' Japanese."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.dates import format_day, parse_day, parse_day_range

SAT = date(2026, 9, 19)  # Saturday before 敬老の日 (Monday 21st)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今日のごみは？", SAT),
        ("きょう", SAT),
        ("明日は何ごみ？", date(2026, 9, 20)),
        ("あした", date(2026, 9, 20)),
        ("あさって", date(2026, 9, 21)),
        ("今度の日曜の当番医", date(2026, 9, 20)),
        ("次の土曜", date(2026, 9, 26)),  # strictly after today
        ("日曜日にやってる病院", date(2026, 9, 20)),
        ("土曜", SAT),  # a bare weekday includes today
        ("来週の火曜日", date(2026, 9, 22)),
        ("今週の月曜", date(2026, 9, 14)),
        ("10月3日", date(2026, 10, 3)),
        ("１０月３日", date(2026, 10, 3)),
        ("1/2", date(2027, 1, 2)),  # past this year -> next year
        ("9月1日", date(2027, 9, 1)),
        ("30日", date(2026, 9, 30)),
        ("大晦日", date(2026, 12, 31)),
        ("元日", date(2027, 1, 1)),
    ],
)
def test_parse_day(text: str, expected: date) -> None:
    assert parse_day(text, SAT) == expected


@pytest.mark.parametrize("text", ["ごみの日", "中央地区に住んでいます", "次の日", "ペットボトル"])
def test_no_date(text: str) -> None:
    assert parse_day_range(text, SAT) is None


def test_year_end_range() -> None:
    found = parse_day_range("年末年始の当番医", SAT)
    assert found is not None and (found.start, found.end, found.label) == (
        date(2026, 12, 29), date(2027, 1, 3), "年末年始",
    )  # fmt: skip
    during = parse_day_range("年末年始", date(2027, 1, 2))
    assert during is not None and (during.start, during.end) == (date(2027, 1, 2), date(2027, 1, 3))


def test_format_day() -> None:
    assert format_day(date(2026, 12, 30)) == "12月30日（水）"
