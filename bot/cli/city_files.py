"""A city folder on disk: the commented skeleton `madoguchi city init` writes, and `madoguchi city check`.

The check runs the same readers the bot and the importers use (FAQ, 5374 garbage files, clinics, departments,
snowplow areas, report categories, city.json, the rich menu) and lists every problem with its file, row and
what to do. Errors stop `city load`; warnings only say how a file was read.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from bot.reports.attributes import attributes_file, load_attributes
from bot.reports.categories import load_categories
from channels.line import richmenu
from knowledge.city import CityFolder, CityProfile
from knowledge.clinics import ClinicRoster
from knowledge.csvdata import CityDataError, DataProblem
from knowledge.departments import DepartmentDirectory
from knowledge.garbage.calendar import GarbageCalendar
from knowledge.kb_io import read_kb_file
from knowledge.snowplow import load_areas

# Strings of the demo city (みどり野市): a real city's folder should contain none of them.
DEMO_STRINGS = ("みどり野", "midorino", "000-0000-", "0120-000-")
MISSING = "ファイルがありません。`madoguchi city init` の見本を参考に作ってください (file missing: create it)"


@dataclass(frozen=True)
class CityProblem:
    """One problem in a city folder; ``row`` is the spreadsheet row (header = 1), 0 = the whole file."""

    file: str  # relative to the folder, e.g. "city/clinics.csv"
    row: int
    message: str
    error: bool = True

    def __str__(self) -> str:
        kind = "エラー (error)" if self.error else "注意 (warning)"
        where = f"{self.row}行目 (row {self.row})" if self.row else "ファイル全体 (file)"
        return f"{kind} {self.file} {where}: {self.message}"


def _from_data(folder: CityFolder, problems: list[DataProblem], error: bool = True) -> list[CityProblem]:
    base = folder.data_dir.relative_to(folder.root)
    return [CityProblem(f"{base}/{p.file}", p.row, p.message, error) for p in problems]


def _check_profile(folder: CityFolder) -> tuple[CityProfile | None, list[CityProblem]]:
    try:
        city = folder.profile()
    except CityDataError as exc:
        return None, _from_data(folder, exc.problems)
    needed = {
        "contact.phone": city.contact.phone,
        "contact.hours": city.contact.hours,
        "website": city.website,
        "pages.garbage": city.pages.get("garbage", ""),
    }
    return city, [
        CityProblem("city/city.json", 0, f"{key} を書いてください (fill in {key}: residents are shown it)")
        for key, value in needed.items()
        if not value
    ]


def _check_faq(folder: CityFolder) -> list[CityProblem]:
    if not folder.faq.exists():
        return [CityProblem("faq.csv", 0, MISSING)]
    result = read_kb_file(folder.faq)
    shown = [(e, True) for e in result.errors] + [(w, False) for w in result.warnings]
    return [
        CityProblem("faq.csv", p.row, f"{p.column}: {p.message}" if p.column else p.message, error)
        for p, error in shown
    ]


def _check_synonyms(folder: CityFolder) -> list[CityProblem]:
    if not folder.synonyms.exists():
        return [
            CityProblem("synonyms.csv", 0, "ファイルがありません。同義語なしで動きます (no synonyms)", False)
        ]
    problems = []
    with folder.synonyms.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if row and row[0].strip() and not row[0].lstrip().startswith("#") and len(row) < 2:
                problems.append(
                    CityProblem(
                        "synonyms.csv", number, "「言い換え,元の語」の2列にしてください (needs from,to)"
                    )
                )
    return problems


def _check_city_data(folder: CityFolder, city: CityProfile | None) -> list[CityProblem]:
    d = folder.data_dir
    problems: list[CityProblem] = []
    holidays = city.collect_on_holidays if city else True
    try:
        calendar = GarbageCalendar.load(d, collect_on_holidays=holidays)
        problems += _from_data(folder, calendar.warnings, error=False)
    except CityDataError as exc:
        problems += _from_data(folder, exc.problems)
        problems += _from_data(folder, getattr(exc, "warnings", []), error=False)
    for name, load in (
        ("clinics.csv", ClinicRoster.load),
        ("departments.csv", DepartmentDirectory.load),
        ("snowplow_areas.csv", load_areas),
    ):
        if not (d / name).exists():
            problems.append(CityProblem(f"city/{name}", 0, MISSING))
            continue
        try:
            load(d / name)
        except CityDataError as exc:
            problems += _from_data(folder, exc.problems)
    return problems


def _check_settings_files(folder: CityFolder) -> list[CityProblem]:
    problems = []
    try:
        load_categories.__wrapped__(folder.report_categories)
        if attributes_file(folder.report_categories).exists():
            load_attributes(attributes_file(folder.report_categories))
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(CityProblem("city/report_categories.json", 0, str(exc)))
    if folder.richmenu.exists():
        try:
            richmenu.load_definition(folder.richmenu)
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(
                CityProblem("city/richmenu.json", 0, f"リッチメニューの定義が正しくありません: {exc}")
            )
    return problems


def _check_demo_leftovers(folder: CityFolder, city: CityProfile | None) -> list[CityProblem]:
    if city is not None and city.name.startswith("みどり野"):
        return []  # the demo city itself
    problems = []
    for path in sorted(
        p for p in folder.root.rglob("*") if p.is_file() and p.suffix in (".csv", ".json", ".md")
    ):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, start=1):
            found = next((s for s in DEMO_STRINGS if s in line), None)
            if found:
                problems.append(CityProblem(str(path.relative_to(folder.root)), number,
                    f"デモ市の「{found}」が残っています。この市の内容に書き換えてください "
                    f"(demo city text {found!r} left: replace it)", False))  # fmt: skip
    return problems


def check_folder(root: Path) -> list[CityProblem]:
    """Every problem of the city folder ``root`` (errors and warnings)."""
    folder = CityFolder(root)
    if not folder.data_dir.is_dir():
        return [CityProblem("city/", 0, "フォルダ city/ がありません。`madoguchi city init` で作ってください "
                                        "(folder city/ missing)")]  # fmt: skip
    city, problems = _check_profile(folder)
    problems += _check_faq(folder) + _check_synonyms(folder) + _check_city_data(folder, city)
    return problems + _check_settings_files(folder) + _check_demo_leftovers(folder, city)
