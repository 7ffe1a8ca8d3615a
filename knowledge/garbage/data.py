"""Reading the 5374.jp files other than ``target.csv`` (see :mod:`knowledge.garbage.calendar`).

Every loader collects all problems with file and row and raises one
:class:`GarbageDataError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowledge.csvdata import CityDataError, DataProblem, read_csv
from knowledge.garbage.rules import RuleSyntaxError, Schedule, parse_schedule

__all__ = [
    "Area",
    "Category",
    "GarbageDataError",
    "Suspension",
    "load_area_days",
    "load_centers",
    "load_descriptions",
    "load_simple_pairs",
]

AREA_COLUMN, CENTER_PREFIX = "地名", "センター"


class GarbageDataError(CityDataError):
    """A 5374 file is missing or has bad rows (``problems`` gives file and row of each)."""


@dataclass(frozen=True)
class Category:
    label: str
    sublabel: str = ""
    description: str = ""
    style: str = ""
    bgcolor: str = ""


@dataclass(frozen=True)
class Suspension:
    """A centre's pause; ``year=None`` means the month/day range repeats every year."""

    start: tuple[int, int]
    end: tuple[int, int]
    year: int | None = None  # year of ``start``
    end_year: int | None = None

    def contains(self, day: date) -> bool:
        md = (day.month, day.day)
        if self.year is not None and self.end_year is not None:
            return date(self.year, *self.start) <= day <= date(self.end_year, *self.end)
        if self.start <= self.end:
            return self.start <= md <= self.end
        return md >= self.start or md <= self.end  # wraps over new year


@dataclass(frozen=True)
class Area:
    name: str
    center: str
    schedules: dict[str, Schedule]
    aliases: tuple[str, ...] = ()


def _parse_md_or_date(text: str) -> tuple[int | None, int, int]:
    t = text.strip().replace("-", "/")
    parts = [int(p) for p in t.split("/")] if "/" in t else []
    if len(t) == 8 and t.isdigit():
        parts = [int(t[:4]), int(t[4:6]), int(t[6:])]
    if len(parts) == 3:
        date(*parts)  # validates
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        date(2000, *parts)  # validates (leap year allows 2/29)
        return None, parts[0], parts[1]
    raise ValueError(f"日付の形式が違います / bad date: {text!r}")


def load_centers(path: Path) -> dict[str, list[Suspension]]:
    file = path.name
    header, rows = read_csv(path, [])
    if not header or header == [""]:
        return {}
    if len(header) < 3:
        raise GarbageDataError([DataProblem(file, 1, "列は 名称,休止開始日,休止終了日 です")])
    name_col, start_col, end_col = header[0], header[1], header[2]
    centers: dict[str, list[Suspension]] = {}
    problems: list[DataProblem] = []
    for row in rows:
        name = row.get(name_col)
        if not name:
            problems.append(DataProblem(file, row.number, "名称が空です / empty centre name"))
            continue
        periods = centers.setdefault(name, [])
        if not row.get(start_col) and not row.get(end_col):
            continue  # a centre without suspension
        try:
            y1, m1, d1 = _parse_md_or_date(row.get(start_col))
            y2, m2, d2 = _parse_md_or_date(row.get(end_col))
        except ValueError as exc:
            problems.append(DataProblem(file, row.number, str(exc)))
            continue
        if (y1 is None) != (y2 is None):
            problems.append(DataProblem(file, row.number, "開始と終了の両方に年を書いてください"))
            continue
        if y1 is not None and y2 is not None and date(y1, m1, d1) > date(y2, m2, d2):
            problems.append(DataProblem(file, row.number, "終了日が開始日より前です / end before start"))
            continue
        periods.append(Suspension((m1, d1), (m2, d2), y1, y2))
    if problems:
        raise GarbageDataError(problems)
    return centers


def load_descriptions(path: Path) -> dict[str, Category]:
    if not path.exists():
        return {}
    _, rows = read_csv(path, ["label"])
    out: dict[str, Category] = {}
    for row in rows:
        label = row.get("label")
        if not label:
            raise GarbageDataError([DataProblem(path.name, row.number, "label が空です / empty label")])
        out[label] = Category(
            label, row.get("sublabel"), row.get("description"), row.get("styles"), row.get("bgcolor")
        )
    return out


def load_simple_pairs(path: Path) -> dict[str, str]:
    """Two-column files (``remarks.csv``, ``area_aliases.csv``); a non-numeric first row of
    ``remarks.csv`` or a ``地名`` header is skipped."""
    if not path.exists():
        return {}
    header, rows = read_csv(path, [])
    pairs = [(header[0], header[1] if len(header) > 1 else "")] if header else []
    pairs += [(r.get(header[0]), r.get(header[1]) if len(header) > 1 else "") for r in rows]
    return {k: v for k, v in pairs if k and k not in ("ID", "id", AREA_COLUMN)}


def load_area_days(
    path: Path, centers: dict[str, list[Suspension]] | None, aliases: dict[str, str]
) -> tuple[list[Area], list[str], list[DataProblem]]:
    file = path.name
    header, rows = read_csv(path, [AREA_COLUMN])
    if len(header) < 3 or header[0] != AREA_COLUMN or not header[1].startswith(CENTER_PREFIX):
        raise GarbageDataError([DataProblem(file, 1, "先頭の列は 地名,センター,<分別…> です")])
    categories = header[2:]
    if len(set(categories)) != len(categories) or any(not c for c in categories):
        raise GarbageDataError([DataProblem(file, 1, "分別の列名が空か重複しています")])
    problems: list[DataProblem] = []
    areas: list[Area] = []
    seen: set[str] = set()
    for row in rows:
        name, center = row.get(AREA_COLUMN), row.get(header[1])
        if "__extra__" in row.values:
            problems.append(DataProblem(file, row.number, "列が多すぎます / too many cells"))
            continue
        if not name:
            problems.append(DataProblem(file, row.number, "地名が空です / empty area name"))
            continue
        if name in seen:
            problems.append(DataProblem(file, row.number, f"{name}: 地名が重複しています"))
            continue
        seen.add(name)
        if center and centers is not None and center not in centers:
            problems.append(
                DataProblem(file, row.number, f"{name}: センター {center!r} が center.csv にありません")
            )
        schedules: dict[str, Schedule] = {}
        for cat in categories:
            try:
                schedules[cat] = parse_schedule(row.get(cat))
            except RuleSyntaxError as exc:
                problems.append(DataProblem(file, row.number, f"{name} / {cat}: {exc}"))
        alias_text = aliases.get(name, "")
        areas.append(Area(name, center, schedules, tuple(alias_text.split())))
    return areas, categories, problems
