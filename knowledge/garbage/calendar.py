"""Garbage collection calendar from 5374.jp open data.

A directory holds the 5374 files:

- ``area_days.csv`` — ``地名,センター,<category…>``; one row per area, one cell per category
  (expression syntax: :mod:`knowledge.garbage.rules`; header variants and ``マスター`` groups:
  :mod:`knowledge.garbage.area_days`).
- ``area_master.csv`` — ``マスター,区名``: the groups of a ``マスター`` column (optional).
- ``center.csv`` — ``名称,休止開始日,休止終了日``; a centre's year-end suspension (several
  rows per centre allowed). A date without a year (``12/30``) repeats every year.
- ``target.csv`` — items and their category (:mod:`knowledge.garbage.items`).
- ``description.csv`` — ``label,sublabel,description,styles,bgcolor`` (optional).
- ``remarks.csv`` — ``ID,注意事項`` for ``*N`` marks (optional).
- ``area_aliases.csv`` — ``地名,別名`` (optional, ours): more names, space separated, so 「本町」 finds
  its area (readings need none: :mod:`knowledge.garbage.areas`).

Words residents use for categories: :mod:`knowledge.garbage.vocabulary`. What the loaders read in a way
the files did not say plainly is in :attr:`GarbageCalendar.warnings`.

Unlike 5374 (which ignores national holidays) the city decides with
``collect_on_holidays``: when false, recurring collections on a national holiday are skipped.
``holiday_policy`` overrides it per category (``{"燃やせるごみ": True}``: collected on holidays even so).
Explicit ``YYYYMMDD`` dates are always kept. Nothing is collected while the area's centre is
suspended.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

import jpholiday

from knowledge.csvdata import CityDataError, DataProblem
from knowledge.fuzzy import fold
from knowledge.garbage.area_days import load_area_days, load_area_master
from knowledge.garbage.areas import AreaIndex
from knowledge.garbage.data import (
    FILES,
    Area,
    Category,
    GarbageDataError,
    Suspension,
    load_centers,
    load_descriptions,
    load_simple_pairs,
)
from knowledge.garbage.items import ItemIndex, ItemMatch, TargetItem, load_targets
from knowledge.garbage.rules import Schedule, days_between
from knowledge.garbage.vocabulary import canonical_items, kinds_in, kinds_of_label, schedule_column
from knowledge.reading import Reader

__all__ = [
    "FILES",
    "Area",
    "Category",
    "GarbageCalendar",
    "GarbageDataError",
    "ItemMatch",
    "Suspension",
]

HORIZON_DAYS = 400
# How surely an item of the dictionary must be the plain 空き缶 / 新聞 it was looked up as.
CANONICAL_ITEM = 0.85
# A sentence of the city's own texts that says by when to put garbage out (「朝8時までに出してください」).
_SENTENCE = re.compile(r"[^。\n]+。?")
_TIME, _BY, _PUT = re.compile(r"\d{1,2}\s*(?:時|:\d{2})"), "まで", ("出し", "出す", "出せ")


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
        warnings: list[DataProblem] | None = None,
        reader: Reader | None = None,
        holiday_policy: Mapping[str, bool] | None = None,
    ):
        self._areas = {a.name: a for a in areas}
        self._categories = list(categories)
        self._centers = centers
        self._descriptions = descriptions or {}
        self._remarks = remarks or {}
        self.collect_on_holidays = collect_on_holidays
        self.holiday_policy = dict(holiday_policy or {})
        self.warnings = list(warnings or [])
        self._items = ItemIndex(items)
        self._area_index = AreaIndex(areas, reader)
        self._columns = {i.category: schedule_column(i.category, self._categories) for i in items}

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(
        cls,
        directory: str | Path,
        collect_on_holidays: bool = True,
        reader: Reader | None = None,
        holiday_policy: Mapping[str, bool] | None = None,
    ) -> GarbageCalendar:
        """Read a 5374 data directory; raises :class:`GarbageDataError` listing every bad row."""
        d = Path(directory)
        problems: list[DataProblem] = []
        warnings: list[DataProblem] = []
        centers: dict[str, list[Suspension]] | None = {}
        descriptions: dict[str, Category] = {}
        masters: dict[str, str] | None = None
        try:
            centers = load_centers(d / "center.csv")
        except CityDataError as exc:
            problems += exc.problems
            centers = None  # unknown: do not also blame every area_days row
        try:
            descriptions = load_descriptions(d / "description.csv", warnings)
        except CityDataError as exc:
            problems += exc.problems
        if (d / "area_master.csv").exists():
            try:
                masters = load_area_master(d / "area_master.csv")
            except CityDataError as exc:
                problems += exc.problems
        aliases = load_simple_pairs(d / "area_aliases.csv")
        areas: list[Area] = []
        categories: list[str] = []
        try:
            areas, categories, more = load_area_days(d / "area_days.csv", centers, aliases, masters, warnings)
            problems += more
        except CityDataError as exc:
            problems += exc.problems
        items: list[TargetItem] = []
        try:
            items = load_targets(d / "target.csv", warnings, categories + list(descriptions))
        except CityDataError as exc:
            problems += exc.problems
        remarks = load_simple_pairs(d / "remarks.csv", warnings)
        if problems:
            raise GarbageDataError(problems, warnings)
        assert centers is not None
        return cls(
            areas,
            categories,
            centers,
            items,
            descriptions,
            remarks,
            collect_on_holidays,
            warnings,
            reader,
            holiday_policy,
        )

    # ----------------------------------------------------------------- areas
    def areas(self) -> list[str]:
        return list(self._areas)

    def area(self, name: str) -> Area:
        try:
            return self._areas[name]
        except KeyError:
            raise KeyError(f"unknown area: {name!r}") from None

    def match_areas(self, text: str, limit: int = 3, min_score: float = 0.6) -> list[tuple[str, float]]:
        """Areas the text names, best first, with scores (in a sentence, with 丁目, by reading)."""
        return self._area_index.scores(text, min_score)[:limit]

    def match_area(self, text: str) -> str | None:
        """The one area the text names, or None when none (or several equally) match."""
        found = self.area_candidates(text)
        return found[0] if len(found) == 1 else None

    def area_candidates(self, text: str, limit: int = 12) -> list[str]:
        """The areas the text names equally well: one when clear, several to choose from, or none."""
        return self._area_index.candidates(text, limit)

    # ----------------------------------------------------------------- categories
    def categories(self) -> list[str]:
        return list(self._categories)

    def match_categories(self, text: str) -> list[str]:
        """The categories (``area_days.csv`` columns) a question asks about, in column order.

        Each step reads what the one before left: labels named word for word; then an item named word for word
        (「スプレー缶はいつ」 is the column of スプレー缶, not of 缶); then the residents' words
        (:mod:`knowledge.garbage.vocabulary`): every column whose label says the kind, or else the column the
        city's plain item of that kind goes to.
        """
        q = fold(text)
        named = [c for c in self._categories if fold(c) and fold(c) in q]
        named = [c for c in named if not any(c != o and fold(c) in fold(o) for o in named)]
        found = list(named)
        for label in named:
            q = q.replace(fold(label), "|")  # a mark fold keeps: what was on each side stays apart
        item = self._items.named_in(q)
        if item is not None and len(fold(item.name)) >= max((n for _, n in kinds_in(q)), default=2):
            column = self.column_of(item.category)
            found += [column] if column else []
            q = q.replace(fold(item.name), "|")
        for kind, _ in kinds_in(q):
            labelled = [c for c in self._categories if kind in kinds_of_label(c)] or self._column_by_items(
                kind
            )
            found += [c for c in labelled if c not in found]
        return [c for c in self._categories if c in found]

    def _column_by_items(self, kind: str) -> list[str]:
        """The column of the plain item of ``kind`` in the city's dictionary (目黒区: 缶（飲料・食品用）→ 資源)."""
        for phrase in canonical_items(kind):
            best = self._items.categorize(phrase, limit=1, min_score=CANONICAL_ITEM)
            column = self.column_of(best[0].category) if best else None
            if column:
                return [column]
        return []

    def match_category(self, text: str) -> str | None:
        """The one category a question names, or None (none, or several: see :meth:`match_categories`)."""
        found = self.match_categories(text)
        return found[0] if len(found) == 1 else None

    def column_of(self, item_category: str) -> str | None:
        """The ``area_days.csv`` column a ``target.csv`` category is collected in, when there is one."""
        if item_category in self._categories:
            return item_category
        return self._columns.get(item_category) or schedule_column(item_category, self._categories)

    def put_out_rules(self, categories: list[str]) -> list[str]:
        """What the city's own texts say about by when to put garbage out: sentences with a time from the
        categories' descriptions and from the remarks no cell points to, which are about every area
        (橋本市: 「ごみは、収集当日に朝8時までに出してください。」). Empty when the city says nothing: no
        time is made up. (A remark a cell points to with ``*N`` comes with that cell: :meth:`remarks_for`.)"""
        marked = {str(n) for a in self._areas.values() for s in a.schedules.values() for n in s.remarks}
        general = [text for key, text in self._remarks.items() if key not in marked]
        texts = [self.category_info(c).description for c in categories] + general
        found: list[str] = []
        for text in texts:
            for m in _SENTENCE.finditer(text):
                sentence = m.group(0).strip(" 　・")
                plain = unicodedata.normalize("NFKC", sentence)  # ８時 is 8時
                said = _TIME.search(plain) and _BY in plain and any(w in plain for w in _PUT)
                if said and sentence not in found:
                    found.append(sentence)
        return found

    def category_info(self, label: str) -> Category:
        """The ``description.csv`` row of a column (or of the description label most like it)."""
        if label in self._descriptions:
            return self._descriptions[label]
        found = next((c for d, c in self._descriptions.items() if schedule_column(d, [label]) == label), None)
        return found or Category(label)

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
        return self.collects_on_holidays(category) or not jpholiday.is_holiday(day)

    def collects_on_holidays(self, category: str) -> bool:
        """The holiday policy of ``category``: its own when the city set one, else the city-wide one."""
        return self.holiday_policy.get(category, self.collect_on_holidays)

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
