"""Reading the small 5374.jp files: centres' pauses, category descriptions, remarks and aliases, and the
shared model (``area_days.csv``: :mod:`knowledge.garbage.area_days`; ``target.csv``:
:mod:`knowledge.garbage.items`).

Every loader collects all problems with file and row and raises one :class:`GarbageDataError`;
what it reads in a way the file did not say in so many words (a header variant, an ignored column, a
repeated row, HTML made text) goes into the ``warnings`` list it is given, saying what was done and how
to say it plainly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowledge.csvdata import CityDataError, DataProblem, read_csv
from knowledge.garbage.markup import has_markup, html_to_text
from knowledge.garbage.rules import Schedule

__all__ = [
    "FILES",
    "Area",
    "Category",
    "GarbageDataError",
    "Suspension",
    "load_centers",
    "load_descriptions",
    "load_simple_pairs",
]

# Every file a 5374 data folder may hold (``area_aliases.csv`` is ours).
FILES = (
    "area_days.csv",
    "area_master.csv",
    "center.csv",
    "target.csv",
    "description.csv",
    "remarks.csv",
    "area_aliases.csv",
)
AREA_COLUMN = "地名"


class GarbageDataError(CityDataError):
    """A 5374 file is missing or has bad rows (``problems`` gives file and row of each); ``warnings`` are
    what would have been read in a way the files do not say plainly, for the clerk to fix at the same time."""

    def __init__(self, problems: list[DataProblem], warnings: list[DataProblem] | None = None):
        super().__init__(problems)
        self.warnings = list(warnings or [])


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
    """One row of ``area_days.csv``. ``name`` is unique: the town as written, followed by its group
    (``福島（大和町）``) when the same town name is in two groups; ``town`` is the name as written and
    ``ward`` the group's name from ``area_master.csv`` ("" without one)."""

    name: str
    center: str
    schedules: dict[str, Schedule]
    aliases: tuple[str, ...] = ()
    town: str = ""
    ward: str = ""


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


def _text_cells(file: str, rows: list[tuple[int, str]], warnings: list[DataProblem] | None) -> dict[int, str]:
    """The cells as plain text; one warning names the rows whose HTML was made text."""
    out = {number: html_to_text(text) for number, text in rows}
    changed = [number for number, text in rows if has_markup(text)]
    if changed and warnings is not None:
        listed = "・".join(str(n) for n in changed[:10]) + ("…" if len(changed) > 10 else "")
        warnings.append(
            DataProblem(
                file, changed[0],
                f"行{listed} の HTML（<br> など）を文字に直して読みます。改行はセルの中の改行で書けます"
                f" / HTML in rows {listed} read as plain text",
            )
        )  # fmt: skip
    return out


def load_descriptions(path: Path, warnings: list[DataProblem] | None = None) -> dict[str, Category]:
    """``description.csv`` by its 5374 column names (any case) or, as 5374 reads it, by position."""
    if not path.exists():
        return {}
    file = path.name
    header, rows = read_csv(path, [])
    names = ["label", "sublabel", "description", "styles", "bgcolor"]
    lower = [h.lower() for h in header]
    if "label" in lower:
        cols = [header[lower.index(n)] if n in lower else "" for n in names]
    else:
        cols = (header + [""] * len(names))[: len(names)]
        if warnings is not None and header:
            warnings.append(
                DataProblem(
                    file, 1,
                    f"列名が label,sublabel,description,styles,bgcolor ではないため、1列目（{header[0]}）を"
                    f"分別名として列の順に読みます / columns read by position, column 1 as label",
                )
            )  # fmt: skip
    problems: list[DataProblem] = []
    for row in rows:
        if not row.get(cols[0]):
            problems.append(DataProblem(file, row.number, "分別名（label）が空です / empty label"))
    if problems:
        raise GarbageDataError(problems)
    texts = _text_cells(file, [(r.number, r.get(cols[2])) for r in rows if cols[2]], warnings)
    out: dict[str, Category] = {}
    for row in rows:
        label = row.get(cols[0])
        values = [row.get(c) if c else "" for c in cols]
        out[label] = Category(label, values[1], texts.get(row.number, ""), values[3], values[4])
    return out


def load_simple_pairs(path: Path, warnings: list[DataProblem] | None = None) -> dict[str, str]:
    """Two-column files (``remarks.csv``, ``area_aliases.csv``); a non-numeric first row of
    ``remarks.csv`` or a ``地名`` header is skipped. HTML in the second column is made text."""
    if not path.exists():
        return {}
    header, rows = read_csv(path, [])
    pairs = [(1, header[0], header[1] if len(header) > 1 else "")] if header else []
    pairs += [(r.number, r.get(header[0]), r.get(header[1]) if len(header) > 1 else "") for r in rows]
    kept = [(n, k, v) for n, k, v in pairs if k and k not in ("ID", "id", AREA_COLUMN)]
    texts = _text_cells(path.name, [(n, v) for n, _, v in kept], warnings)
    return {k: texts[n] for n, k, _ in kept}
