"""Garbage collection calendar from 5374.jp open data.

A directory holds the 5374 files:

- ``area_days.csv`` — ``地名,センター,<category…>``; one row per area, one cell per category
  (expression syntax: :mod:`knowledge.garbage.rules`).
- ``center.csv`` — ``名称,休止開始日,休止終了日``; a centre's year-end suspension (several
  rows per centre allowed). A date without a year (``12/30``) repeats every year.
- ``target.csv`` — items and their category (:mod:`knowledge.garbage.items`).
- ``description.csv`` — ``label,sublabel,description,styles,bgcolor`` (optional).
- ``remarks.csv`` — ``ID,注意事項`` for ``*N`` marks (optional).
- ``area_aliases.csv`` — ``地名,別名`` (optional, ours): readings and town names, space
  separated, so 「さくらがおか」 or 「本町」 find their area.

Unlike 5374 (which ignores national holidays) the city decides with
``collect_on_holidays``: when false, recurring collections on a national holiday are skipped.
Explicit ``YYYYMMDD`` dates are always kept. Nothing is collected while the area's centre is
suspended.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import jpholiday

from knowledge.csvdata import CityDataError, DataProblem
from knowledge.fuzzy import fold, similarity
from knowledge.garbage.data import (
    Area,
    Category,
    GarbageDataError,
    Suspension,
    load_area_days,
    load_centers,
    load_descriptions,
    load_simple_pairs,
)
from knowledge.garbage.items import ItemIndex, ItemMatch, TargetItem, load_targets
from knowledge.garbage.rules import Schedule, days_between

__all__ = [
    "Area",
    "Category",
    "GarbageCalendar",
    "GarbageDataError",
    "ItemMatch",
    "Suspension",
]

HORIZON_DAYS = 400
# Everyday words for categories -> a word found in the city's own label (checked in order).
CATEGORY_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("燃えない", "もえない", "燃やさない", "もやさない", "不燃"), "燃やさない"),
    (("燃える", "もえる", "燃やす", "もやす", "可燃"), "燃やす"),
    (("ぺっと",), "ぺっと"),
    (("ぷら",), "ぷら"),
    (("びん", "瓶", "かん", "缶"), "びん"),
    (("古紙", "こし", "新聞", "段ぼーる", "だんぼーる", "雑誌", "古布", "古着"), "古紙"),
    (("有害", "電池", "蛍光"), "有害"),
    (("粗大", "そだい"), "粗大"),
)


class GarbageCalendar:
    """Collection dates per area and category, plus item lookup."""

    def __init__(
        self,
        areas: list[Area],
        categories: list[str],
        centers: dict[str, list[Suspension]],
        items: list[TargetItem],
        descriptions: dict[str, Category] | None = None,
        remarks: dict[str, str] | None = None,
        collect_on_holidays: bool = True,
    ):
        self._areas = {a.name: a for a in areas}
        self._categories = list(categories)
        self._centers = centers
        self._descriptions = descriptions or {}
        self._remarks = remarks or {}
        self.collect_on_holidays = collect_on_holidays
        self._items = ItemIndex(items)

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, directory: str | Path, collect_on_holidays: bool = True) -> GarbageCalendar:
        """Read a 5374 data directory; raises :class:`GarbageDataError` listing every bad row."""
        d = Path(directory)
        problems: list[DataProblem] = []
        centers: dict[str, list[Suspension]] | None = {}
        items: list[TargetItem] = []
        descriptions: dict[str, Category] = {}
        try:
            centers = load_centers(d / "center.csv")
        except CityDataError as exc:
            problems += exc.problems
            centers = None  # unknown: do not also blame every area_days row
        try:
            items = load_targets(d / "target.csv")
        except CityDataError as exc:
            problems += exc.problems
        try:
            descriptions = load_descriptions(d / "description.csv")
        except CityDataError as exc:
            problems += exc.problems
        aliases = load_simple_pairs(d / "area_aliases.csv")
        areas: list[Area] = []
        categories: list[str] = []
        try:
            areas, categories, more = load_area_days(d / "area_days.csv", centers, aliases)
            problems += more
        except CityDataError as exc:
            problems += exc.problems
        if problems:
            raise GarbageDataError(problems)
        assert centers is not None
        return cls(
            areas, categories, centers, items, descriptions,
            load_simple_pairs(d / "remarks.csv"), collect_on_holidays,
        )  # fmt: skip

    # ----------------------------------------------------------------- areas
    def areas(self) -> list[str]:
        return list(self._areas)

    def area(self, name: str) -> Area:
        try:
            return self._areas[name]
        except KeyError:
            raise KeyError(f"unknown area: {name!r}") from None

    def match_areas(self, text: str, limit: int = 3, min_score: float = 0.6) -> list[tuple[str, float]]:
        """Areas the text names, best first, with scores (hiragana/katakana and partial names)."""
        q = fold(text)
        scored = []
        for area in self._areas.values():
            keys = {fold(area.name), fold(area.name.removesuffix("地区").removesuffix("地域"))}
            keys |= {fold(a) for a in area.aliases}
            score = max((similarity(q, k) for k in keys if k), default=0.0)
            if score >= min_score:
                scored.append((area.name, round(score, 4)))
        scored.sort(key=lambda s: -s[1])
        return scored[:limit]

    def match_area(self, text: str) -> str | None:
        """The one area the text names, or None when none (or two equally) match."""
        found = self.match_areas(text, limit=2)
        if not found or (len(found) == 2 and found[0][1] - found[1][1] < 0.02):
            return None
        return found[0][0]

    # ----------------------------------------------------------------- dates
    def categories(self) -> list[str]:
        return list(self._categories)

    def match_category(self, text: str) -> str | None:
        """The category a question names: its label, or everyday words (燃えるごみ, 不燃, プラ, 缶…)."""
        q = fold(text)
        for label in self._categories:
            if fold(label) in q:
                return label
        for words, label_word in CATEGORY_WORDS:
            if any(fold(w) in q for w in words):
                found = [c for c in self._categories if fold(label_word) in fold(c)]
                if len(found) == 1:
                    return found[0]
        return None

    def category_info(self, label: str) -> Category:
        return self._descriptions.get(label, Category(label))

    def schedule(self, area: str, category: str) -> Schedule:
        return self.area(area).schedules[category]

    def is_suspended(self, area: str, day: date) -> bool:
        return any(s.contains(day) for s in self._centers.get(self.area(area).center, []))

    def collects(self, area: str, category: str, day: date) -> bool:
        """True when ``category`` is really collected in ``area`` on ``day``."""
        sched = self.schedule(area, category)
        if self.is_suspended(area, day):
            return False
        if sched.is_explicit(day):
            return True
        if not sched.is_recurring(day):
            return False
        return self.collect_on_holidays or not jpholiday.is_holiday(day)

    def skip_reason(self, area: str, category: str, day: date) -> str | None:
        """Why a day the rule names is not collected: ``"suspended"``, ``"holiday"`` or None."""
        sched = self.schedule(area, category)
        if not sched.matches(day) or self.collects(area, category, day):
            return None
        return "suspended" if self.is_suspended(area, day) else "holiday"

    def collections_on(self, area: str, day: date) -> list[str]:
        """Categories collected in ``area`` on ``day`` (in ``area_days.csv`` column order)."""
        return [c for c in self._categories if self.collects(area, c, day)]

    def collection_dates(self, area: str, category: str, start: date, end: date) -> list[date]:
        return [d for d in days_between(start, end) if self.collects(area, category, d)]

    def next_collection(
        self, area: str, category: str, after: date, *, inclusive: bool = False
    ) -> date | None:
        """First collection day after ``after`` (or on it when ``inclusive``), within 400 days."""
        day = after if inclusive else after + timedelta(days=1)
        for _ in range(HORIZON_DAYS):
            if self.collects(area, category, day):
                return day
            day += timedelta(days=1)
        return None

    def remarks_for(self, area: str, category: str) -> list[str]:
        return [
            self._remarks[str(n)] for n in self.schedule(area, category).remarks if str(n) in self._remarks
        ]

    def describe(self, area: str, category: str) -> str:
        return self.schedule(area, category).describe()

    # ----------------------------------------------------------------- items
    def categorize(self, item_text: str, limit: int = 3, min_score: float = 0.45) -> list[ItemMatch]:
        """Items the text most likely names with their category and note, best first."""
        return self._items.categorize(item_text, limit=limit, min_score=min_score)

    def item_count(self) -> int:
        return len(self._items.items)
