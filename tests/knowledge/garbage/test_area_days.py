"""Reading ``area_days.csv`` and ``area_master.csv``: the header variants cities publish, groups of areas, repeated
rows and names, and every bad row reported with its row and the fix."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.csvdata import CityDataError, DataProblem
from knowledge.garbage.area_days import load_area_days, load_area_master
from knowledge.garbage.data import GarbageDataError, load_centers
from tests.support.garbage_files import AREA_DAYS, write_dir


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_areas_with_their_centre_schedules_and_aliases(tmp_path: Path) -> None:
    d = write_dir(tmp_path)
    warnings: list[DataProblem] = []
    areas, categories, problems = load_area_days(
        d / "area_days.csv", load_centers(d / "center.csv"), {"東部A": "とうぶえー 本町"}, warnings=warnings
    )
    assert problems == [] and warnings == []
    assert categories == ["燃やすごみ", "燃やさないごみ", "資源", "びん", "粗大ごみ"]
    assert [(a.name, a.center) for a in areas] == [
        ("東部A", "東部管理センター"), ("東部B", "東部管理センター"), ("西部A", "西部管理センター"),
    ]  # fmt: skip
    assert areas[0].aliases == ("とうぶえー", "本町")
    assert areas[1].aliases == ()
    assert areas[0].schedules["燃やすごみ"].matches(date(2026, 6, 1))  # a Monday
    assert areas[1].schedules["燃やすごみ"].remarks  # the *1 mark


def test_bad_rows_are_reported_with_file_and_row(tmp_path: Path) -> None:
    rows = AREA_DAYS + "北部,東部管理センター,月 火x,水2,,,\n南部,無いセンター,月,,,,\n"
    d = write_dir(tmp_path, area_days_csv=rows)
    _, _, problems = load_area_days(d / "area_days.csv", load_centers(d / "center.csv"), {})
    assert [(p.file, p.row) for p in problems] == [("area_days.csv", 5), ("area_days.csv", 6)]
    assert "火x" in problems[0].message
    assert "無いセンター" in problems[1].message and "center.csv に足すか" in problems[1].message
    assert "area_days.csv 行5" in str(GarbageDataError(problems))


def test_unknown_centres_are_not_blamed_when_center_csv_is_unusable(tmp_path: Path) -> None:
    rows = AREA_DAYS + "南部,無いセンター,月,,,,\n"
    _, _, problems = load_area_days(write(tmp_path, "area_days.csv", rows), None, {})
    assert problems == []


def test_empty_repeated_and_overlong_rows(tmp_path: Path) -> None:
    rows = AREA_DAYS + (
        ",東部管理センター,月,,,,\n"  # 5: no name
        "東部A,東部管理センター,月,,,,\n"  # 6: 東部A again with other days
        "北部,東部管理センター,月,,,,,月\n"  # 7: one cell too many
        "西部A,西部管理センター,水 土,月1,火2 火4,金2:1 2 3,20260519\n"  # 8: row 4 again, word for word
    )
    warnings: list[DataProblem] = []
    areas, _, problems = load_area_days(write(tmp_path, "area_days.csv", rows), None, {}, warnings=warnings)
    assert [a.name for a in areas] == ["東部A", "東部B", "西部A"]
    assert [p.row for p in problems] == [5, 6, 7]
    assert problems[0].message == "地名が空です。地名を書くか、行を消してください / empty area name"
    assert "行2と収集日が違います" in problems[1].message and "区別できる地名" in problems[1].message
    assert [(w.row, w.message) for w in warnings] == [
        (8, "西部A: 行4と同じ行のため1つとして読みます / same as row 4, read once")
    ]


@pytest.mark.parametrize(
    ("header", "column"),
    [("地区,センター,燃やすごみ", "地区"),  # 京丹後市
     ("校下・地区,センター,燃やすごみ", "校下・地区"),  # 金沢市
     ("地名,センター（center.csvを使わない場合は空白化）,燃やすごみ", "")],  # the 5374 template
)  # fmt: skip
def test_area_column_names_cities_use(tmp_path: Path, header: str, column: str) -> None:
    warnings: list[DataProblem] = []
    areas, categories, problems = load_area_days(
        write(tmp_path, "area_days.csv", header + "\n東町,,月 木\n"), None, {}, warnings=warnings
    )
    assert [a.name for a in areas] == ["東町"] and categories == ["燃やすごみ"] and problems == []
    expected = [f"列名 {column} は 地名 として読みます / column {column!r} read as 地名"] if column else []
    assert [w.message for w in warnings] == expected


@pytest.mark.parametrize(
    "header",
    [
        "地名,センター",
        "名前,センター,燃やすごみ",
        "地名,収集所,燃やすごみ",
        "地名,センター,資源,資源",
        "地名,センター,,",
    ],
)
def test_a_bad_header_is_refused_with_the_header_to_write(tmp_path: Path, header: str) -> None:
    with pytest.raises(CityDataError) as info:
        load_area_days(write(tmp_path, "area_days.csv", header + "\n"), None, {})
    assert [(p.file, p.row) for p in info.value.problems] == [("area_days.csv", 1)]


def test_a_column_without_a_name_is_ignored_with_a_warning(tmp_path: Path) -> None:
    """佐賀市: an eighth column without a name holds the letters of its printed calendar; 5374 ignores it."""
    text = "地名,センター,燃えるごみ,\n東町,,月 木,D\n西町,,火 金,E\n"
    warnings: list[DataProblem] = []
    areas, categories, problems = load_area_days(
        write(tmp_path, "area_days.csv", text), None, {}, warnings=warnings
    )
    assert categories == ["燃えるごみ"] and problems == [] and list(areas[0].schedules) == ["燃えるごみ"]
    assert [(w.row, w.message.split("（")[0]) for w in warnings] == [(1, "4列目には列名がないため読みません")]
    assert "D、E" in warnings[0].message


MASTER_DAYS = """マスター,地名,センター,燃えるごみ,燃えないごみ
1,福島,,火 金,月2
1,今宿町,,月 木,金2
2,福島,,水 土,月4
2,本町,,月 木,金2
2,本町,,月 木,金2
"""


def test_groups_of_a_master_column_qualify_a_town_named_in_two(tmp_path: Path) -> None:
    masters = load_area_master(write(tmp_path, "area_master.csv", "マスター,区名\n1,大和町\n2,久保田町\n"))
    assert masters == {"1": "大和町", "2": "久保田町"}
    warnings: list[DataProblem] = []
    areas, categories, problems = load_area_days(
        write(tmp_path, "area_days.csv", MASTER_DAYS), None, {}, masters, warnings
    )
    assert problems == [] and categories == ["燃えるごみ", "燃えないごみ"]
    assert [(a.name, a.town, a.ward) for a in areas] == [
        ("福島（大和町）", "福島", "大和町"), ("今宿町", "今宿町", "大和町"),
        ("福島（久保田町）", "福島", "久保田町"), ("本町", "本町", "久保田町"),
    ]  # fmt: skip
    assert areas[2].schedules["燃えるごみ"].matches(date(2026, 6, 3))  # a Wednesday
    assert [w.row for w in warnings] == [6]  # 本町 twice, word for word


def test_a_master_code_without_a_group_name_is_used_as_it_is(tmp_path: Path) -> None:
    warnings: list[DataProblem] = []
    areas, _, problems = load_area_days(
        write(tmp_path, "area_days.csv", MASTER_DAYS), None, {}, None, warnings
    )
    assert problems == [] and areas[0].name == "福島（1）"
    assert [(w.row, "area_master.csv がないため" in w.message) for w in warnings[:2]] == [
        (2, True),
        (4, True),
    ]


def test_bad_area_master_rows(tmp_path: Path) -> None:
    with pytest.raises(GarbageDataError) as info:
        load_area_master(write(tmp_path, "area_master.csv", "マスター,区名\n1,北区\n1,南区\n2,\n"))
    assert [(p.file, p.row) for p in info.value.problems] == [("area_master.csv", 3), ("area_master.csv", 4)]
