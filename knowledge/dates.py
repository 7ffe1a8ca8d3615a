"""Dates named in residents' Japanese: 今日, 明日, あさって, 今度の日曜, 来週の火曜, 12月30日, 年末年始.

:func:`parse_day_range` returns the period a question is about, relative to ``today``
(passed in, never read from the clock). Past month/day dates roll to next year.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from knowledge.clinics import year_end_range

__all__ = ["DayRange", "format_day", "parse_day_range", "parse_day"]

_WEEKDAYS = "月火水木金土日"
_WD = r"(月|火|水|木|金|土|日)(?:曜日?|よう(?:び)?)"
_RELATIVE = [
    (re.compile(r"しあさって|明明後日|明々後日"), 3),
    (re.compile(r"あさって|明後日"), 2),
    (re.compile(r"明日|あした|あす(?!か)|翌日"), 1),
    (re.compile(r"今(?![度週月年回後更])|きょう|本日|ほんじつ|こんや|こんばん|いまから"), 0),
]
_THIS_COMING = re.compile(
    rf"(今度|こんど|次|つぎ|今週末?|こんしゅう|来週|らいしゅう|再来週|さらいしゅう)の?{_WD}"
)
_BARE_WEEKDAY = re.compile(rf"(?<![0-9])({'|'.join(_WEEKDAYS)})(?:曜日?|よう(?:び)?)")
_MONTH_DAY = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_SLASH = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])")
_NEXT_DAY_OF_MONTH = re.compile(r"(?<![月\d])(\d{1,2})\s*日(?![本曜間])")
_YEAR_END = re.compile(r"年末年始|ねんまつねんし|年末|年始|お正月|正月|大晦日|大みそか|元日|元旦|三が日")
_WEEKEND = re.compile(r"(今週末|週末|しゅうまつ|土日|どにち)")


@dataclass(frozen=True)
class DayRange:
    start: date
    end: date
    label: str

    @property
    def is_single(self) -> bool:
        return self.start == self.end


def format_day(day: date) -> str:
    """``12月30日（水）``."""
    return f"{day.month}月{day.day}日（{_WEEKDAYS[day.weekday()]}）"


def _next_weekday(today: date, weekday: int, *, allow_today: bool) -> date:
    delta = (weekday - today.weekday()) % 7
    if delta == 0 and not allow_today:
        delta = 7
    return today + timedelta(days=delta)


def _rolled(today: date, month: int, day: int) -> date | None:
    try:
        candidate = date(today.year, month, day)
    except ValueError:
        return None
    if candidate < today:
        try:
            candidate = date(today.year + 1, month, day)
        except ValueError:
            return None
    return candidate


def parse_day_range(text: str, today: date) -> DayRange | None:
    """The day (or period) ``text`` asks about, or None when it names none."""
    t = unicodedata.normalize("NFKC", text)
    m = _YEAR_END.search(t)
    if m:
        start, end = year_end_range(today)
        word = m.group(0)
        if word in ("大晦日", "大みそか"):
            day = date(start.year, 12, 31)
            return DayRange(day, day, format_day(day))
        if word in ("元日", "元旦"):
            day = date(end.year, 1, 1)
            return DayRange(day, day, format_day(day))
        return DayRange(max(start, today), end, "年末年始")
    m = _MONTH_DAY.search(t) or _SLASH.search(t)
    if m:
        rolled = _rolled(today, int(m.group(1)), int(m.group(2)))
        if rolled:
            return DayRange(rolled, rolled, format_day(rolled))
    m = _THIS_COMING.search(t)
    if m:
        word, wd = m.group(1), _WEEKDAYS.index(m.group(2))
        monday = today - timedelta(days=today.weekday())
        if word.startswith(("再来週", "さらいしゅう")):
            day = monday + timedelta(days=14 + wd)
        elif word.startswith(("来週", "らいしゅう")):
            day = monday + timedelta(days=7 + wd)
        elif word.startswith(("今週", "こんしゅう")):
            day = monday + timedelta(days=wd)
        else:  # 今度の / 次の: the next one after today
            day = _next_weekday(today, wd, allow_today=False)
        return DayRange(day, day, format_day(day))
    m = _WEEKEND.search(t)
    if m:
        saturday = _next_weekday(today, 5, allow_today=True)
        start = today if today.weekday() == 6 else saturday
        return DayRange(start, saturday + timedelta(days=1), "週末")
    for pattern, offset in _RELATIVE:
        if pattern.search(t):
            day = today + timedelta(days=offset)
            return DayRange(day, day, format_day(day))
    m = _BARE_WEEKDAY.search(t)
    if m:
        day = _next_weekday(today, _WEEKDAYS.index(m.group(1)), allow_today=True)
        return DayRange(day, day, format_day(day))
    m = _NEXT_DAY_OF_MONTH.search(t)
    if m:
        n = int(m.group(1))
        for months_ahead in range(0, 3):
            y, mo = (
                today.year + (today.month - 1 + months_ahead) // 12,
                (today.month - 1 + months_ahead) % 12 + 1,
            )
            try:
                day = date(y, mo, n)
            except ValueError:
                continue
            if day >= today:
                return DayRange(day, day, format_day(day))
    return None


def parse_day(text: str, today: date) -> date | None:
    """The single day ``text`` names (the first day of a period), or None."""
    found = parse_day_range(text, today)
    return found.start if found else None
