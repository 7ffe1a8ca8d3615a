"""City departments: who handles what, where, how to call and when they are open.

``departments.csv`` columns: ``name,reading,phone,floor,mon,tue,wed,thu,fri,sat,sun,topics``;
each weekday column holds hours like ``8:30-17:15`` (empty = closed); ``topics`` are space
separated keywords. Offices are closed on national holidays (``jpholiday``) and from 29
December to 3 January whatever the weekday columns say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import jpholiday

from knowledge.clinics import is_year_end
from knowledge.csvdata import CityDataError, DataProblem, parse_hours, read_csv
from knowledge.fuzzy import fold, similarity

__all__ = ["WEEKDAY_COLUMNS", "Department", "DepartmentDirectory", "is_office_day", "is_open"]

WEEKDAY_COLUMNS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WEEKDAY_JA = "月火水木金土日"

Hours = tuple[tuple[time, time], ...]


@dataclass(frozen=True)
class Department:
    name: str
    phone: str
    floor: str
    hours: tuple[Hours, ...]  # index = date.weekday()
    topics: tuple[str, ...] = ()
    reading: str = ""

    def hours_on(self, day: date) -> Hours:
        """Opening hours on ``day`` (empty on holidays and 年末年始)."""
        return self.hours[day.weekday()] if is_office_day(day) else ()

    def hours_text(self) -> str:
        """Summary such as ``月・火・木・金 8:30〜17:15 / 水 8:30〜19:00（祝日・年末年始を除く）``."""
        groups: dict[str, list[str]] = {}
        for wd, ranges in enumerate(self.hours):
            if ranges:
                text = "・".join(f"{_hm(s)}〜{_hm(e)}" for s, e in ranges)
                groups.setdefault(text, []).append(_WEEKDAY_JA[wd])
        if not groups:
            return "窓口の受付はありません"
        parts = [f"{_day_span(days)} {text}" for text, days in groups.items()]
        return " / ".join(parts) + "（祝日・年末年始を除く）"


def _hm(t: time) -> str:
    return f"{t.hour}:{t.minute:02d}"


def _day_span(days: list[str]) -> str:
    joined = "".join(days)
    if len(days) >= 3 and joined in _WEEKDAY_JA:
        return f"{days[0]}〜{days[-1]}"
    return "・".join(days)


def is_office_day(day: date) -> bool:
    """False on national holidays and 12/29–1/3."""
    return not (jpholiday.is_holiday(day) or is_year_end(day))


def is_open(dept: Department, now: datetime) -> bool:
    """True when the department's counter is open at ``now`` (local time)."""
    t = now.replace(tzinfo=None).time()
    return any(start <= t < end for start, end in dept.hours_on(now.date()))


def next_open(dept: Department, now: datetime, horizon_days: int = 30) -> datetime | None:
    """The next opening time at or after ``now`` (``now`` itself when already open)."""
    naive = now.replace(tzinfo=None)
    if is_open(dept, naive):
        return naive
    for offset in range(horizon_days + 1):
        day = naive.date() + timedelta(days=offset)
        for start, _ in dept.hours_on(day):
            candidate = datetime.combine(day, start)
            if candidate >= naive:
                return candidate
    return None


class DepartmentDirectory:
    def __init__(self, departments: list[Department]):
        self.departments = list(departments)

    @classmethod
    def load(cls, path: str | Path) -> DepartmentDirectory:
        return cls(read_departments(path))

    def get(self, name: str) -> Department | None:
        return next((d for d in self.departments if d.name == name), None)

    def find(self, text: str, limit: int = 3) -> list[Department]:
        """Departments the text is about, best first: names, readings and topic keywords."""
        q = fold(text)
        if not q:
            return []
        scored: list[tuple[float, int, Department]] = []
        for index, dept in enumerate(self.departments):
            name_keys = {fold(dept.name), fold(dept.reading)} - {""}
            score = max((similarity(q, k) for k in name_keys), default=0.0)
            hits = 0
            for topic in dept.topics:
                key = fold(topic)
                if key and key in q:
                    hits += 1
                    score = max(score, 0.7 + 0.05 * len(key))
                elif key:
                    score = max(score, similarity(q, key) * 0.9)
            score += 0.02 * max(hits - 1, 0)
            if score >= 0.6:
                scored.append((score, index, dept))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [d for _, _, d in scored[:limit]]


def read_departments(path: str | Path) -> list[Department]:
    """Rows of ``departments.csv``; raises :class:`CityDataError` listing every bad row."""
    file = Path(path).name
    _, rows = read_csv(path, ["name", "phone", *WEEKDAY_COLUMNS])
    out: list[Department] = []
    problems: list[DataProblem] = []
    for row in rows:
        try:
            name = row.get("name")
            if not name:
                raise ValueError("name が空です / empty name")
            if any(d.name == name for d in out):
                raise ValueError(f"{name} が重複しています / duplicate department")
            hours = tuple(parse_hours(row.get(col)) for col in WEEKDAY_COLUMNS)
            out.append(
                Department(
                    name,
                    row.get("phone"),
                    row.get("floor"),
                    hours,
                    tuple(row.get("topics").split()),
                    row.get("reading"),
                )  # fmt: skip
            )
        except ValueError as exc:
            problems.append(DataProblem(file, row.number, str(exc)))
    if problems:
        raise CityDataError(problems)
    return out
