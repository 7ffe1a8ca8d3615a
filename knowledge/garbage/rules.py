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
An empty cell means "never collected".
This module knows only the rule itself; holidays and centre suspensions are applied by
:class:`knowledge.garbage.calendar.GarbageCalendar`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["WEEKDAY_CHARS", "RuleSyntaxError", "Schedule", "days_between", "parse_schedule"]

WEEKDAY_CHARS = "月火水木金土日"  # index == date.weekday()

_WEEKLY = re.compile(r"^([月火水木金土日])$")
_NTH = re.compile(r"^([月火水木金土日])([1-5])$")
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_BIWEEKLY = re.compile(r"^隔([月火水木金土日])(\d{4})(\d{2})(\d{2})$")
_REMARK = re.compile(r"^\*(\d{1,9})$")  # a longer number is no remark id (and int() would refuse it)


class RuleSyntaxError(ValueError):
    """A cell of ``area_days.csv`` that is not a valid 5374 expression."""


@dataclass(frozen=True)
class Schedule:
    """When one category is collected, independent of holidays and suspensions."""

    raw: str
    weekdays: frozenset[int] = frozenset()
    nth_weekdays: frozenset[tuple[int, int]] = frozenset()  # (weekday, n)
    dates: frozenset[date] = frozenset()
    biweekly_anchors: tuple[date, ...] = ()
    months: frozenset[int] | None = None
    remarks: tuple[int, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.weekdays or self.nth_weekdays or self.dates or self.biweekly_anchors)

    def in_months(self, day: date) -> bool:
        return self.months is None or day.month in self.months

    def is_explicit(self, day: date) -> bool:
        """True when ``day`` is listed as an explicit YYYYMMDD date (month limits do not apply)."""
        return day in self.dates

    def is_recurring(self, day: date) -> bool:
        """True when a weekly / nth-weekday / every-other-week token hits ``day``."""
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
        raise RuleSyntaxError(f"日付として正しくありません / not a valid date: {token!r}") from exc


def parse_schedule(cell: str) -> Schedule:
    """Parse one ``area_days.csv`` cell; raises :class:`RuleSyntaxError` with the bad token."""
    raw = cell
    text = unicodedata.normalize("NFKC", cell or "").strip()
    tokens = text.replace(":", " : ").split()  # so a remark may touch the colon: 月 *1:4 5
    remarks = []
    kept = []
    for token in tokens:
        m = _REMARK.match(token)
        if m:
            remarks.append(int(m.group(1)))
        else:
            kept.append(token)
    text = " ".join(kept)
    months: frozenset[int] | None = None
    if ":" in text:
        rule_part, _, month_part = text.partition(":")
        if ":" in month_part:
            raise RuleSyntaxError(f"コロンは1つまでです / only one ':' allowed: {raw!r}")
        month_tokens = month_part.split()
        if not month_tokens:
            raise RuleSyntaxError(f"コロンの後に月がありません / no months after ':': {raw!r}")
        try:
            month_values = [int(t) for t in month_tokens]
        except ValueError as exc:
            raise RuleSyntaxError(f"月は数字で書いてください / months must be numbers: {raw!r}") from exc
        if any(not 1 <= m <= 12 for m in month_values):
            raise RuleSyntaxError(f"月は1〜12です / months are 1-12: {raw!r}")
        months = frozenset(month_values)
        text = rule_part
    weekdays: set[int] = set()
    nth: set[tuple[int, int]] = set()
    dates: set[date] = set()
    anchors: list[date] = []
    for token in text.split():
        if m := _WEEKLY.match(token):
            weekdays.add(WEEKDAY_CHARS.index(m.group(1)))
        elif m := _NTH.match(token):
            nth.add((WEEKDAY_CHARS.index(m.group(1)), int(m.group(2))))
        elif m := _DATE.match(token):
            dates.add(_parse_date(m.group(1), m.group(2), m.group(3), token))
        elif m := _BIWEEKLY.match(token):
            anchor = _parse_date(m.group(2), m.group(3), m.group(4), token)
            if anchor.weekday() != WEEKDAY_CHARS.index(m.group(1)):
                raise RuleSyntaxError(
                    f"起点日が{m.group(1)}曜日ではありません / anchor date is not a "
                    f"{m.group(1)}曜日: {token!r}"
                )
            anchors.append(anchor)
        else:
            raise RuleSyntaxError(f"解釈できない書式です / unknown expression: {token!r}")
    if months is not None and not (weekdays or nth or dates or anchors):
        raise RuleSyntaxError(f"月の指定だけで曜日がありません / months without days: {raw!r}")
    return Schedule(
        raw=raw,
        weekdays=frozenset(weekdays),
        nth_weekdays=frozenset(nth),
        dates=frozenset(dates),
        biweekly_anchors=tuple(sorted(anchors)),
        months=months,
        remarks=tuple(remarks),
    )


def days_between(start: date, end: date) -> Iterator[date]:
    """Every date from ``start`` to ``end`` inclusive."""
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)
