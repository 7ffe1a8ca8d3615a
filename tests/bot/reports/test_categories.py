"""bot.reports.categories: the city's table (その他 always there), free text to a category, unreadable files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.reports.categories import OTHER, CategoryTable, ReportCategory, load_categories
from tests.support.reports import CATEGORIES


def test_the_city_table_routes_every_category_and_falls_back_to_other() -> None:
    assert CATEGORIES.get("road_damage").department == "道路維持課"
    assert CATEGORIES.get("illegal_dumping").label == "不法投棄"
    assert CATEGORIES.get("no-such-code").code == OTHER and CATEGORIES.get(None).code == OTHER
    assert CATEGORIES.known("road_damage") and not CATEGORIES.known("no-such-code")
    assert CATEGORIES.by_service_code("road_damage") is CATEGORIES.get("road_damage")
    assert CATEGORIES.by_service_code("nope") is None


def test_free_text_maps_to_a_category() -> None:
    assert CATEGORIES.match_text("不法投棄") is CATEGORIES.get("illegal_dumping")  # the label
    assert CATEGORIES.match_text(" ROAD_DAMAGE ") is CATEGORIES.get("road_damage")  # the code, normalised
    assert CATEGORIES.match_text("") is None


def test_the_longest_keyword_wins_then_the_priority() -> None:
    a = ReportCategory("a", "A", "課A", 30, "a", keywords=("穴",), match_priority=1)
    b = ReportCategory("b", "B", "課B", 30, "b", keywords=("道路の穴",), match_priority=50)
    c = ReportCategory("c", "C", "課C", 30, "c", keywords=("道路",), match_priority=2)
    other = ReportCategory(OTHER, "その他", "市民課", 30, OTHER)
    table = CategoryTable((a, b, c, other))
    assert table.match_text("道路の穴があります") is b
    assert table.match_text("穴と道路") is c  # equal length: the smaller match_priority
    assert table.match_text("ごみ") is None


def test_a_table_without_other_or_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="other"):
        CategoryTable((ReportCategory("a", "A", "課A", 30, "a"),))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="通報の種類"):
        load_categories(broken)
    minimal = tmp_path / "minimal.json"
    minimal.write_text(
        json.dumps({"categories": [{"code": "other", "label": "その他", "department": "市民課"}]}),
        encoding="utf-8",
    )
    table = load_categories(minimal)
    assert table.duplicate_window_days == 30 and table.get("x").duplicate_radius_m == 30
