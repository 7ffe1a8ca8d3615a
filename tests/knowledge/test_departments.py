"""Departments: topic lookup and opening hours (holidays, 年末年始)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from knowledge.csvdata import CityDataError
from knowledge.departments import DepartmentDirectory, is_open, next_open

DATA = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "city"
NAMES = ["市民課", "税務課", "保険年金課", "こども家庭課", "環境課", "上下水道課", "道路維持課",
         "健康推進課", "危機管理課", "生涯学習課", "選挙管理委員会", "総務課", "市民相談室"]  # fmt: skip


@pytest.fixture(scope="module")
def directory() -> DepartmentDirectory:
    return DepartmentDirectory.load(DATA / "departments.csv")


def test_demo_has_every_department(directory: DepartmentDirectory) -> None:
    assert [d.name for d in directory.departments] == NAMES


@pytest.mark.parametrize(
    ("text", "expected"),
    [("住民票を取りたい", "市民課"), ("除雪車が来ない", "道路維持課"), ("粗大ごみの申し込み", "環境課"),
     ("国保の保険証", "保険年金課"), ("ぜいむか", "税務課"), ("期日前投票はどこ", "選挙管理委員会"),
     ("水道管が凍結した", "上下水道課"), ("児童手当", "こども家庭課")],
)  # fmt: skip
def test_find(directory: DepartmentDirectory, text: str, expected: str) -> None:
    assert directory.find(text)[0].name == expected


def test_find_nothing(directory: DepartmentDirectory) -> None:
    assert directory.find("ふにゃほげ") == []


def test_is_open(directory: DepartmentDirectory) -> None:
    citizens = directory.get("市民課")
    assert citizens is not None
    assert is_open(citizens, datetime(2026, 11, 24, 9, 0))  # Tuesday
    assert not is_open(citizens, datetime(2026, 11, 24, 8, 29))
    assert not is_open(citizens, datetime(2026, 11, 24, 17, 15))
    assert is_open(citizens, datetime(2026, 11, 25, 18, 30))  # Wednesday evening opening
    assert not is_open(citizens, datetime(2026, 11, 23, 10, 0))  # 勤労感謝の日 (Monday)
    assert not is_open(citizens, datetime(2026, 11, 28, 10, 0))  # Saturday
    assert not is_open(citizens, datetime(2026, 12, 29, 10, 0))  # 年末年始 (Tuesday)
    assert not is_open(citizens, datetime(2027, 1, 4, 8, 0))
    assert next_open(citizens, datetime(2026, 12, 28, 18, 0)) == datetime(2027, 1, 4, 8, 30)
    assert "水 8:30〜19:00" in citizens.hours_text()


def test_bad_hours(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(
        "name,reading,phone,floor,mon,tue,wed,thu,fri,sat,sun,topics\n"
        "A課,,0,,8:30-17:15,,,,,,,\nB課,,0,,8:30,,,,,,,\nA課,,0,,,,,,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(CityDataError) as info:
        DepartmentDirectory.load(path)
    assert [p.row for p in info.value.problems] == [3, 4]
