"""Collection-day expressions of the 5374.jp ``area_days.csv`` format.

One cell of ``area_days.csv`` says when one category is collected in one area:

=====================  ==========================================================
``月 木``               every Monday and Thursday
``水2``                 the 2nd Wednesday of the month (``火1 火3``: 1st and 3rd Tuesday)
``火2 金4:4 6 8``       as before the colon, but only in April, June and August
``20260415 20260520``   explicit dates (YYYYMMDD)
``隔水20260408``        every other Wednesday counted from 2026-04-08
``火 木 *1``            ``*N`` marks remark N (``remarks.csv``); it does not change dates
=====================  ==========================================================

Tokens combine freely in one cell. The month list after ``:`` limits the recurring tokens
(weekly, nth weekday, every other week); explicit dates always stand, so
``水3 20270217:4 5 6 7 8 9 10 11`` means "3rd Wednesday April–November, plus 17 Feb".
Some cities write several such groups in one cell (茅ヶ崎市): ``水1:6 7 11 水2:4 5 8`` is "1st
Wednesday in June, July and November; 2nd Wednesday in April, May and August" — a token that is not
a month number ends the month list and starts the next group. ``月・木`` and ``月、木`` read as
``月 木``, ``第4水`` and ``水曜日`` as ``水4`` and ``水`` (京都市). An empty cell (or ``なし``, ``収集なし``,
``-``) means "never collected".
This module knows only the rule itself; holidays and centre suspensions are applied by
:class:`knowledge.garbage.calendar.GarbageCalendar`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta

__all__ = ["WEEKDAY_CHARS", "RuleSyntaxError", "Schedule", "days_between", "parse_schedule"]

WEEKDAY_CHARS = "月火水木金土日"  # index == date.weekday()

_WEEKLY = re.compile(r"^([月火水木金土日])$")
_NTH = re.compile(r"^([月火水木金土日])(\d)$")
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_BIWEEKLY = re.compile(r"^隔([月火水木金土日])(\d{4})(\d{2})(\d{2})$")
_REMARK = re.compile(r"^\*(\d{1,9})$")  # a longer number is no remark id (and int() would refuse it)
_MONTH = re.compile(r"^\d{1,2}$")
_LIST_SEPARATORS = re.compile(r"[・、,，]")
_NONE = {"なし", "収集なし", "収集しません", "収集していません", "-", "ー", "―", "×"}  # "never collected"
# written out in Japanese (京都市): 第4水 / 第4水曜日 -> 水4, 水曜 / 水曜日 -> 水
_WRITTEN_NTH = re.compile(r"第(\d)([月火水木金土日])(?:曜日?)?")
_WRITTEN_DAY = re.compile(r"(?<![\d第])([月火水木金土日])曜日?")


class RuleSyntaxError(ValueError):
    """A cell of ``area_days.csv`` that is not a valid 5374 expression."""


@dataclass(frozen=True)
class Schedule:
    """When one category is collected, independent of holidays and suspensions.

    A cell with several month-limited groups (``水1:6 7 水2:4 5``) is the union of its ``groups``; the
    token fields of such a schedule stay empty.
    """

    raw: str
    weekdays: frozenset[int] = frozenset()
    nth_weekdays: frozenset[tuple[int, int]] = frozenset()  # (weekday, n)
    dates: frozenset[date] = frozenset()
    biweekly_anchors: tuple[date, ...] = ()
    months: frozenset[int] | None = None
    remarks: tuple[int, ...] = ()
    groups: tuple[Schedule, ...] = ()

    @property
    def is_empty(self) -> bool:
        own = self.weekdays or self.nth_weekdays or self.dates or self.biweekly_anchors
        return not own and all(g.is_empty for g in self.groups)

    def in_months(self, day: date) -> bool:
        if self.groups:
            return any(g.in_months(day) for g in self.groups)
        return self.months is None or day.month in self.months

    def is_explicit(self, day: date) -> bool:
        """True when ``day`` is listed as an explicit YYYYMMDD date (month limits do not apply)."""
        return day in self.dates or any(g.is_explicit(day) for g in self.groups)

    def is_recurring(self, day: date) -> bool:
        """True when a weekly / nth-weekday / every-other-week token hits ``day``."""
        if self.groups:
            return any(g.is_recurring(day) for g in self.groups)
        if not self.in_months(day):
            return False
        wd = day.weekday()
        if wd in self.weekdays:
            return True
        if (wd, (day.day - 1) // 7 + 1) in self.nth_weekdays:
            return True
        return any(day >= anchor and (day - anchor).days % 14 == 0 for anchor in self.biweekly_anchors)

    def matches(self, day: date) -> bool:
        """True when the rule alone says ``day`` is a collection day."""
        return self.is_explicit(day) or self.is_recurring(day)

    def describe(self) -> str:
        """Short Japanese wording, e.g. ``毎週月・木曜日``, ``第2・第4水曜日（4・6月）``."""
        if self.groups:
            return "、".join(g.describe() for g in self.groups if not g.is_empty) or "収集なし"
        parts: list[str] = []
        if self.weekdays:
            parts.append("毎週" + "・".join(WEEKDAY_CHARS[d] for d in sorted(self.weekdays)) + "曜日")
        by_day: dict[int, list[int]] = {}
        for wd, n in sorted(self.nth_weekdays):
            by_day.setdefault(wd, []).append(n)
        for wd, ns in sorted(by_day.items()):
            parts.append("・".join(f"第{n}" for n in ns) + f"{WEEKDAY_CHARS[wd]}曜日")
        for anchor in self.biweekly_anchors:
            parts.append(f"隔週{WEEKDAY_CHARS[anchor.weekday()]}曜日")
        text = "、".join(parts)
        if self.months is not None and parts:
            text += f"（{_month_span(self.months)}）"
        if self.dates:
            text = f"{text}、ほか指定日" if text else "指定日のみ"
        return text or "収集なし"


def _month_span(months: frozenset[int]) -> str:
    """``{4,5,6,7}`` -> ``4〜7月``; ``{12,1,2}`` -> ``12〜2月``; ``{4,7,10,1}`` -> ``1・4・7・10月``."""
    ordered = sorted(months)
    for start in ordered:  # try every rotation for one contiguous (possibly wrapping) run
        run = [((start - 1 + i) % 12) + 1 for i in range(len(ordered))]
        if set(run) == months and len(run) > 2:
            return f"{run[0]}〜{run[-1]}月"
    return "・".join(str(m) for m in ordered) + "月"


def _parse_date(y: str, m: str, d: str, token: str) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError as exc:
        raise RuleSyntaxError(
            f"{int(y)}年{int(m)}月{int(d)}日という日はありません。年月日を YYYYMMDD（例 20260415）で書いてください"
            f" / not a valid date: {token!r}"
        ) from exc


def parse_schedule(cell: str) -> Schedule:
    """Parse one ``area_days.csv`` cell; raises :class:`RuleSyntaxError` with the bad token and the fix."""
    raw = cell
    text = unicodedata.normalize("NFKC", cell or "").strip()
    text = _LIST_SEPARATORS.sub(" ", text)
    if text in _NONE:  # 京都市: 「収集なし」
        text = ""
    text = _WRITTEN_DAY.sub(r"\1", _WRITTEN_NTH.sub(r"\2\1", text))
    tokens = text.replace(":", " : ").split()  # so a remark may touch the colon: 月 *1:4 5
    remarks = tuple(int(m.group(1)) for t in tokens if (m := _REMARK.match(t)))
    groups = _month_groups([t for t in tokens if not _REMARK.match(t)], raw)
    by_months: dict[frozenset[int] | None, list[str]] = {}
    for days, months in groups:  # the same month list twice is one group (水1:6 7 水3:6 7)
        by_months.setdefault(months, []).extend(days)
    parsed = [_parse_group(days, months, raw) for months, days in by_months.items()]
    if len(parsed) == 1:
        return replace(parsed[0], raw=raw, remarks=remarks)
    return Schedule(raw=raw, remarks=remarks, groups=tuple(parsed))


def _month_groups(tokens: list[str], raw: str) -> list[tuple[list[str], frozenset[int] | None]]:
    """``[水1, :, 6, 7, 水2, :, 4]`` -> ``[([水1], {6, 7}), ([水2], {4})]``; a group without ``:`` has no limit."""
    groups: list[tuple[list[str], frozenset[int] | None]] = []
    days: list[str] = []
    months: list[int] | None = None
    for token in tokens + [""]:  # "" flushes the last group
        if months is not None and _MONTH.match(token):
            month = int(token)
            if not 1 <= month <= 12:
                raise RuleSyntaxError(f"月は1〜12です / months are 1-12: {raw!r}")
            months.append(month)
            continue
        if months is not None:  # the month list ends here
            if not months:
                raise RuleSyntaxError(
                    f"コロンの後に月がありません。「水2:4 6 8」のように月を書いてください / no months after ':': {raw!r}"
                )
            if not days:
                raise RuleSyntaxError(
                    f"月の指定だけで曜日がありません。「水2:4 6 8」のようにコロンの前に曜日を書いてください "
                    f"/ months without days: {raw!r}"
                )
            groups.append((days, frozenset(months)))
            days, months = [], None
        if token == ":":
            months = []
        elif token:
            days.append(token)
    if days or not groups:
        groups.append((days, None))
    return groups


def _parse_group(tokens: list[str], months: frozenset[int] | None, raw: str) -> Schedule:
    weekdays: set[int] = set()
    nth: set[tuple[int, int]] = set()
    dates: set[date] = set()
    anchors: list[date] = []
    for token in tokens:
        if m := _WEEKLY.match(token):
            weekdays.add(WEEKDAY_CHARS.index(m.group(1)))
        elif m := _NTH.match(token):
            n = int(m.group(2))
            if not 1 <= n <= 5:
                raise RuleSyntaxError(
                    f"第{n}{m.group(1)}曜日はありません。第1〜第5で書いてください（{m.group(1)}1〜{m.group(1)}5）"
                    f" / there is no {n}th weekday in a month (1-5): {token!r}"
                )
            nth.add((WEEKDAY_CHARS.index(m.group(1)), n))
        elif m := _DATE.match(token):
            dates.add(_parse_date(m.group(1), m.group(2), m.group(3), token))
        elif m := _BIWEEKLY.match(token):
            anchors.append(_anchor(m.group(1), _parse_date(m.group(2), m.group(3), m.group(4), token), token))
        else:
            raise RuleSyntaxError(f"解釈できない書式です / unknown expression: {token!r}")
    return Schedule(
        raw=raw,
        weekdays=frozenset(weekdays),
        nth_weekdays=frozenset(nth),
        dates=frozenset(dates),
        biweekly_anchors=tuple(sorted(anchors)),
        months=months,
    )


def _anchor(weekday: str, anchor: date, token: str) -> date:
    """The first day of an every-other-week rule, which must fall on the rule's weekday."""
    actual = WEEKDAY_CHARS[anchor.weekday()]
    if actual == weekday:
        return anchor
    wanted = WEEKDAY_CHARS.index(weekday)
    before = anchor - timedelta(days=(anchor.weekday() - wanted) % 7)
    after = anchor + timedelta(days=(wanted - anchor.weekday()) % 7)
    raise RuleSyntaxError(
        f"起点日 {anchor:%Y/%m/%d} は{actual}曜日で、{weekday}曜日ではありません。"
        f"{weekday}曜日なら 隔{weekday}{before:%Y%m%d} か 隔{weekday}{after:%Y%m%d}、"
        f"{actual}曜日なら 隔{actual}{anchor:%Y%m%d} と書いてください"
        f" / the start date {anchor.isoformat()} of {token!r} is a {anchor:%A}, not the rule's weekday"
    )


def days_between(start: date, end: date) -> Iterator[date]:
    """Every date from ``start`` to ``end`` inclusive."""
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)
