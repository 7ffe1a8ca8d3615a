"""Reading the 5374.jp files besides ``target.csv``: areas, centres' pauses, descriptions, remarks and aliases,
with every bad row reported by file and row."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.csvdata import CityDataError
from knowledge.garbage.data import (
    Category,
    GarbageDataError,
    Suspension,
    load_area_days,
    load_centers,
    load_descriptions,
    load_simple_pairs,
)
from tests.support.garbage_files import AREA_DAYS, CENTER, write_dir


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ area_days.csv


def test_areas_with_their_centre_schedules_and_aliases(tmp_path: Path) -> None:
    d = write_dir(tmp_path)
    areas, categories, problems = load_area_days(
        d / "area_days.csv", load_centers(d / "center.csv"), {"東部A": "とうぶえー 本町"}
    )
    assert problems == []
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
    assert "無いセンター" in problems[1].message
    assert "area_days.csv 行5" in str(GarbageDataError(problems))


def test_unknown_centres_are_not_blamed_when_center_csv_is_unusable(tmp_path: Path) -> None:
    rows = AREA_DAYS + "南部,無いセンター,月,,,,\n"
    _, _, problems = load_area_days(write(tmp_path, "area_days.csv", rows), None, {})
    assert problems == []


def test_empty_duplicate_and_overlong_rows(tmp_path: Path) -> None:
    rows = (
        AREA_DAYS
        + ",東部管理センター,月,,,,\n東部A,東部管理センター,月,,,,\n北部,東部管理センター,月,,,,,月\n"
    )
    areas, _, problems = load_area_days(write(tmp_path, "area_days.csv", rows), None, {})
    assert [a.name for a in areas] == ["東部A", "東部B", "西部A"]
    assert [(p.row, p.message) for p in problems] == [
        (5, "地名が空です / empty area name"),
        (6, "東部A: 地名が重複しています"),
        (7, "列が多すぎます / too many cells"),
    ]


@pytest.mark.parametrize(
    "header",
    [
        "地名,センター",
        "名前,センター,燃やすごみ",
        "地名,収集所,燃やすごみ",
        "地名,センター,資源,資源",
        "地名,センター,,資源",
    ],
)
def test_a_bad_header_is_refused(tmp_path: Path, header: str) -> None:
    with pytest.raises(CityDataError) as info:  # GarbageDataError, or CityDataError when 地名 is missing
        load_area_days(write(tmp_path, "area_days.csv", header + "\n"), None, {})
    assert [(p.file, p.row) for p in info.value.problems] == [("area_days.csv", 1)]


# ------------------------------------------------------------------ center.csv


def test_centres_with_dated_and_yearly_pauses(tmp_path: Path) -> None:
    centers = load_centers(
        write(tmp_path, "center.csv", CENTER + "北部センター,,\n南部センター,2026-12-30,20270102\n")
    )
    assert centers == {
        "東部管理センター": [Suspension((12, 29), (1, 3), 2026, 2027)],
        "西部管理センター": [Suspension((12, 31), (1, 3))],
        "北部センター": [],  # a centre that never pauses
        "南部センター": [Suspension((12, 30), (1, 2), 2026, 2027)],
    }


def test_a_centre_may_pause_several_times(tmp_path: Path) -> None:
    text = "名称,休止開始日,休止終了日\n東部,12/31,1/3\n東部,8/13,8/15\n"
    assert load_centers(write(tmp_path, "center.csv", text)) == {
        "東部": [Suspension((12, 31), (1, 3)), Suspension((8, 13), (8, 15))]
    }


def test_a_blank_center_file_means_no_centres_but_an_empty_one_is_refused(tmp_path: Path) -> None:
    assert load_centers(write(tmp_path, "center.csv", "\n")) == {}
    with pytest.raises(CityDataError) as info:
        load_centers(write(tmp_path, "center.csv", ""))
    assert "empty file" in str(info.value)


def test_bad_centre_rows(tmp_path: Path) -> None:
    text = (
        "名称,休止開始日,休止終了日\n"
        ",12/31,1/3\n"  # 2: no name
        "A,2026/13/01,2027/1/3\n"  # 3: no 13th month
        "B,2026/12/29,1/3\n"  # 4: a year on one side only
        "C,2027/1/3,2026/12/29\n"  # 5: ends before it starts
        "D,大晦日,1/3\n"  # 6: not a date
        "E,2/30,3/1\n"  # 7: no 30 February
    )
    with pytest.raises(GarbageDataError) as info:
        load_centers(write(tmp_path, "center.csv", text))
    assert [p.row for p in info.value.problems] == [2, 3, 4, 5, 6, 7]
    assert {p.file for p in info.value.problems} == {"center.csv"}


def test_a_center_file_with_too_few_columns(tmp_path: Path) -> None:
    with pytest.raises(GarbageDataError) as info:
        load_centers(write(tmp_path, "center.csv", "名称,休止開始日\nA,12/31\n"))
    assert [(p.file, p.row) for p in info.value.problems] == [("center.csv", 1)]


def test_a_yearly_pause_over_new_year() -> None:
    pause = Suspension((12, 31), (1, 3))
    assert pause.contains(date(2030, 12, 31)) and pause.contains(date(2031, 1, 3))
    assert not pause.contains(date(2030, 12, 30)) and not pause.contains(date(2031, 1, 4))


def test_a_yearly_pause_within_a_year() -> None:
    pause = Suspension((8, 13), (8, 15))
    assert pause.contains(date(2026, 8, 14))
    assert not pause.contains(date(2026, 8, 16)) and not pause.contains(date(2026, 12, 31))


def test_a_dated_pause_is_that_year_only() -> None:
    pause = Suspension((12, 29), (1, 3), 2026, 2027)
    assert pause.contains(date(2026, 12, 29)) and pause.contains(date(2027, 1, 3))
    assert not pause.contains(date(2027, 12, 30))
    assert not pause.contains(date(2025, 12, 31))


# ------------------------------------------------------------------ description.csv, remarks.csv, area_aliases.csv


def test_descriptions(tmp_path: Path) -> None:
    d = write_dir(tmp_path)
    descriptions = load_descriptions(d / "description.csv")
    assert list(descriptions) == ["燃やすごみ", "燃やさないごみ", "資源", "びん", "粗大ごみ"]
    assert descriptions["資源"] == Category("資源", "", "", "", "#00ff00")
    assert load_descriptions(tmp_path / "missing.csv") == {}


def test_a_description_without_label(tmp_path: Path) -> None:
    text = "label,sublabel,description,styles,bgcolor\n資源,,,,\n,,,,#000000\n"
    with pytest.raises(GarbageDataError) as info:
        load_descriptions(write(tmp_path, "description.csv", text))
    assert [(p.file, p.row) for p in info.value.problems] == [("description.csv", 3)]


def test_remarks_skip_their_header(tmp_path: Path) -> None:
    assert load_simple_pairs(write_dir(tmp_path) / "remarks.csv") == {
        "1": "一部の通りは収集時刻が早まります。"
    }


def test_a_headerless_remarks_file_keeps_its_first_row(tmp_path: Path) -> None:
    path = write(tmp_path, "remarks.csv", "1,早朝収集\n2,祝日も収集\n")
    assert load_simple_pairs(path) == {"1": "早朝収集", "2": "祝日も収集"}


def test_aliases_and_a_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, "area_aliases.csv", "地名,別名\n桜ケ丘地区,さくらがおか 桜ヶ丘\n")
    assert load_simple_pairs(path) == {"桜ケ丘地区": "さくらがおか 桜ヶ丘"}
    assert load_simple_pairs(tmp_path / "missing.csv") == {}
