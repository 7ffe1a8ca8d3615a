"""`check_folder`: the readers' errors and warnings, with file and row relative to the city folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.cli.city_files import CityProblem, check_folder

ROOT = Path(__file__).resolve().parents[3]
KAWABE = ROOT / "tests" / "data" / "cities" / "kawabe"


def test_the_demo_city_and_the_second_city_are_clean() -> None:
    assert [p for p in check_folder(ROOT / "knowledge" / "data") if p.error] == []
    assert [p for p in check_folder(KAWABE) if p.error] == []


def test_a_folder_without_city_data_is_one_error(tmp_path: Path) -> None:
    assert [(p.file, p.error) for p in check_folder(tmp_path)] == [("city/", True)]


def test_garbage_errors_and_reader_warnings_keep_their_rows(tmp_path: Path) -> None:
    town = tmp_path / "town"
    shutil.copytree(KAWABE, town)
    with (town / "city" / "area_days.csv").open("a", encoding="utf-8") as f:
        f.write("新地区,無いセンター,火,,\n")
    problems = check_folder(town)
    assert any(p.error and p.file == "city/area_days.csv" and p.row == 4 for p in problems), problems
    header = next(p for p in problems if p.file == "faq.csv")
    assert header == CityProblem("faq.csv", 1, header.message, False) and "番号→id" in header.message


def test_report_categories_and_rich_menu_are_read(tmp_path: Path) -> None:
    town = tmp_path / "town"
    shutil.copytree(KAWABE, town)
    (town / "city" / "report_categories.json").write_text("{", encoding="utf-8")
    (town / "city" / "richmenu.json").write_text('{"size": {"width": 1, "height": 1}, "areas": []}', "utf-8")
    files = {p.file for p in check_folder(town) if p.error}
    assert {"city/report_categories.json", "city/richmenu.json"} <= files


def test_demo_strings_left_in_another_city_are_warned(tmp_path: Path) -> None:
    town = tmp_path / "town"
    shutil.copytree(KAWABE, town)
    (town / "city" / "clinics.csv").write_text(
        (town / "city" / "clinics.csv").read_text(encoding="utf-8").replace("0999-00-3102", "000-0000-1102"),
        encoding="utf-8",
    )
    leftovers = [p for p in check_folder(town) if "000-0000-" in p.message]
    assert [(p.file, p.row, p.error) for p in leftovers] == [("city/clinics.csv", 3, False)]
