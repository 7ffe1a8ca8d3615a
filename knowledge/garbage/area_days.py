"""Reading ``area_days.csv`` (and ``area_master.csv``): one row per area, one column per category.

Header variants seen in cities' published files: the area column named ``地名``, ``地区`` (京丹後市)
or ``校下・地区`` (金沢市); the centre column ``センター（center.csvを使わない場合は空白化）`` (the 5374
template); a first column ``マスター`` holding the code of a group of areas (a ward, a district) named in
``area_master.csv`` (佐賀市, 橋本市); a category column without a name (ignored, as 5374 does).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.csvdata import CsvRow, DataProblem, read_csv
from knowledge.garbage.data import AREA_COLUMN, Area, GarbageDataError, Suspension
from knowledge.garbage.rules import RuleSyntaxError, Schedule, parse_schedule

__all__ = ["load_area_days", "load_area_master"]

CENTER_WORDS, MASTER_COLUMN = ("センター", "center"), "マスター"
# Names cities give the area column, and words any other accepted name contains.
AREA_COLUMNS = ("地名", "地区", "校下・地区", "地区名", "地域", "町名", "町丁名", "エリア", "area")
AREA_WORDS = ("地名", "地区", "地域", "町", "校下", "エリア", "area")


def load_area_master(path: Path) -> dict[str, str]:
    """``area_master.csv``: ``マスター,区名`` — the code in ``area_days.csv``'s first column -> the group's name."""
    _, rows = read_csv(path, [])
    names: dict[str, str] = {}
    problems: list[DataProblem] = []
    for row in rows:
        code, name = _cell(row, 0), _cell(row, 1)
        if not code or not name:
            problems.append(
                DataProblem(
                    path.name, row.number, "マスターの番号と区名を書いてください / code and name needed"
                )
            )
        elif code in names:
            problems.append(
                DataProblem(
                    path.name, row.number, f"マスター {code} が重複しています / duplicate code {code}"
                )
            )
        else:
            names[code] = name
    if problems:
        raise GarbageDataError(problems)
    return names


@dataclass(frozen=True)
class _Layout:
    """Where ``area_days.csv`` keeps what: master code (or ""), area, centre and category columns."""

    master: str
    area: str
    center: str
    categories: list[str]


def _layout(file: str, header: list[str], warnings: list[DataProblem] | None) -> _Layout:
    master = header[0] if header and header[0] in (MASTER_COLUMN, "master") else ""
    rest = header[1:] if master else header
    area_ok = bool(rest) and (rest[0] in AREA_COLUMNS or any(w in rest[0].lower() for w in AREA_WORDS))
    center_ok = len(rest) > 1 and any(w in rest[1].lower() for w in CENTER_WORDS)
    if not area_ok or not center_ok or len(rest) < 3:
        first = f"{MASTER_COLUMN},地名,センター" if master else "地名,センター"
        raise GarbageDataError(
            [DataProblem(file, 1, f"1行目は {first},<分別…> の順に書いてください（地名は 地区・校下・地区 でも"
                                  f"かまいません） / the header must be {first},<categories…>")]
        )  # fmt: skip
    if rest[0] != AREA_COLUMN and warnings is not None:
        warnings.append(
            DataProblem(file, 1, f"列名 {rest[0]} は 地名 として読みます / column {rest[0]!r} read as 地名")
        )
    categories = rest[2:]
    named = [c for c in categories if c]
    if len(set(named)) != len(named):
        twice = sorted({c for c in named if named.count(c) > 1})
        raise GarbageDataError(
            [DataProblem(file, 1, f"分別の列名が重複しています: {'、'.join(twice)}。別の名前にしてください"
                                  f" / duplicate category columns")]
        )  # fmt: skip
    if not named:
        raise GarbageDataError([DataProblem(file, 1, "分別の列がありません / no category columns")])
    return _Layout(master, rest[0], rest[1], categories)


def _cell(row: CsvRow, index: int) -> str:
    return row.cells[index] if index < len(row.cells) else ""


def _unnamed_columns(file: str, header: list[str], first: int, rows: list[CsvRow]) -> list[DataProblem]:
    """A warning for each category column without a name that holds values (5374 ignores such a column)."""
    out = []
    for index in range(first, len(header)):
        values = sorted({_cell(r, index) for r in rows} - {""})
        if header[index] or not values:
            continue
        shown = "、".join(values[:5]) + ("…" if len(values) > 5 else "")
        out.append(
            DataProblem(file, 1, f"{index + 1}列目には列名がないため読みません（{shown}）。分別の列なら1行目に"
                                 f"分別名を書いてください / column {index + 1} has no name and is ignored")
        )  # fmt: skip
    return out


@dataclass
class _Row:
    number: int
    town: str
    ward: str
    center: str
    schedules: dict[str, Schedule]
    cells: tuple[str, ...]


def load_area_days(
    path: Path,
    centers: dict[str, list[Suspension]] | None,
    aliases: dict[str, str],
    masters: dict[str, str] | None = None,
    warnings: list[DataProblem] | None = None,
) -> tuple[list[Area], list[str], list[DataProblem]]:
    """Areas, category labels (column order) and the bad rows of ``area_days.csv``.

    ``masters`` is ``area_master.csv`` (code -> group name) when the file has a マスター column. A town
    name in two groups is qualified by its group; the same row twice is read once; the same town twice
    with different days is an error.
    """
    file = path.name
    header, rows = read_csv(path, [])
    layout = _layout(file, header, warnings)
    first = len(header) - len(layout.categories)
    categories = [c for c in layout.categories if c]
    if warnings is not None:
        warnings += _unnamed_columns(file, header, first, rows)
    problems: list[DataProblem] = []
    parsed: list[_Row] = []
    unknown_codes: dict[str, int] = {}
    for row in rows:
        if "__extra__" in row.values:
            problems.append(
                DataProblem(file, row.number, "列が多すぎます。セルの中のカンマを消すか、1行目に列名を足してください"
                                              " / too many cells")
            )  # fmt: skip
            continue
        town, center = _cell(row, first - 2), _cell(row, first - 1)
        if not town:
            problems.append(
                DataProblem(
                    file, row.number, "地名が空です。地名を書くか、行を消してください / empty area name"
                )
            )
            continue
        ward = ""
        if layout.master:
            code = _cell(row, 0)
            ward = (masters or {}).get(code, code)
            if code not in (masters or {}):
                unknown_codes.setdefault(code, row.number)
        if center and centers is not None and center not in centers:
            problems.append(
                DataProblem(file, row.number, f"{town}: センター {center!r} が center.csv にありません。"
                                              f"center.csv に足すか、センターの欄を空にしてください"
                                              f" / centre {center!r} is not in center.csv")
            )  # fmt: skip
        schedules: dict[str, Schedule] = {}
        for index in range(first, len(header)):
            if not header[index]:
                continue
            try:
                schedules[header[index]] = parse_schedule(_cell(row, index))
            except RuleSyntaxError as exc:
                problems.append(DataProblem(file, row.number, f"{town} / {header[index]}: {exc}"))
        cells = list(row.cells)
        while cells and not cells[-1]:  # 「…,月」 and 「…,月,」 are the same row
            cells.pop()
        parsed.append(_Row(row.number, town, ward, center, schedules, tuple(cells)))
    if layout.master and warnings is not None:
        for code, number in unknown_codes.items():
            where = "area_master.csv にない" if masters is not None else "area_master.csv がないため"
            warnings.append(
                DataProblem(file, number, f"マスター {code!r} は{where}ため、区名の代わりに番号を使います。"
                                          f"area_master.csv に マスター,区名 を書いてください / unknown master code")
            )  # fmt: skip
    kept, more = _distinct(file, parsed, warnings)
    problems = sorted(problems + more, key=lambda p: p.row)
    towns: dict[str, set[str]] = {}
    for r in kept:
        towns.setdefault(r.town, set()).add(r.ward)
    areas = []
    for r in kept:
        name = f"{r.town}（{r.ward}）" if len(towns[r.town]) > 1 else r.town
        alias = aliases.get(r.town) or aliases.get(name, "")
        areas.append(Area(name, r.center, r.schedules, tuple(alias.split()), r.town, r.ward))
    return areas, categories, problems


def _distinct(
    file: str, rows: list[_Row], warnings: list[DataProblem] | None
) -> tuple[list[_Row], list[DataProblem]]:
    """Rows without repeats: the same row again is dropped with a warning; the same town (in the same
    group) with other days is an error, since no one could tell which is meant."""
    first: dict[tuple[str, str], _Row] = {}
    kept: list[_Row] = []
    problems: list[DataProblem] = []
    for r in rows:
        seen = first.get((r.ward, r.town))
        if seen is None:
            first[(r.ward, r.town)] = r
            kept.append(r)
        elif seen.cells == r.cells:
            if warnings is not None:
                warnings.append(
                    DataProblem(file, r.number, f"{r.town}: 行{seen.number}と同じ行のため1つとして読みます"
                                                f" / same as row {seen.number}, read once")
                )  # fmt: skip
        else:
            problems.append(
                DataProblem(file, r.number, f"{r.town}: 地名が重複しています（行{seen.number}と収集日が違います）。"
                                            f"「{r.town}（北）」のように区別できる地名にしてください"
                                            f" / duplicate area name with other days than row {seen.number}")
            )  # fmt: skip
    return kept, problems
