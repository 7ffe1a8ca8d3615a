"""Reading the small 5374.jp files: centres' pauses, descriptions (HTML made text), remarks and aliases, with every
bad row reported by file and row. ``area_days.csv``: test_area_days.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.csvdata import CityDataError, DataProblem
from knowledge.garbage.data import (
    Category,
    GarbageDataError,
    Suspension,
    load_centers,
    load_descriptions,
    load_simple_pairs,
)
from tests.support.garbage_files import CENTER, write_dir


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


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


def test_html_in_descriptions_and_remarks_is_made_text_with_one_warning_per_file(tmp_path: Path) -> None:
    text = (
        "label,sublabel,description,styles,bgcolor\n"
        "燃えるごみ,,・指定袋に入れてください。<br />・生ごみは水を切りましょう。,,\n"
        '資源,,<strong>月2回</strong>です。申込は<a href="https://example.jp/shigen">こちら</a>,,\n'
        "粗大ごみ,,申込制です。,,\n"
    )
    warnings: list[DataProblem] = []
    found = load_descriptions(write(tmp_path, "description.csv", text), warnings)
    assert found["燃えるごみ"].description == "・指定袋に入れてください。\n・生ごみは水を切りましょう。"
    assert found["資源"].description == "月2回です。申込はこちら（https://example.jp/shigen）"
    assert found["粗大ごみ"].description == "申込制です。"
    assert [(w.file, w.row) for w in warnings] == [("description.csv", 2)]
    assert "行2・3" in warnings[0].message and "HTML" in warnings[0].message
    remarks = write(tmp_path, "remarks.csv", "ID,注意事項\n1,年末は<BR>休みます\n")
    assert load_simple_pairs(remarks, warnings) == {"1": "年末は\n休みます"}
    assert warnings[-1].file == "remarks.csv"


def test_description_columns_by_any_case_or_by_position(tmp_path: Path) -> None:
    """京丹後市 writes ``Bgcolor``; 5374 itself reads the columns by position."""
    cased = write(
        tmp_path, "description.csv", "label,sublabel,description,styles,Bgcolor\n可燃ごみ,,,,#ea3b13\n"
    )
    assert load_descriptions(cased)["可燃ごみ"].bgcolor == "#ea3b13"
    warnings: list[DataProblem] = []
    other = write(tmp_path, "description.csv", "分別,小見出し,説明\n可燃ごみ,,週2回\n")
    assert load_descriptions(other, warnings)["可燃ごみ"].description == "週2回"
    assert [w.row for w in warnings] == [1] and "列の順" in warnings[0].message
