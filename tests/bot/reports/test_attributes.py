"""bot.reports.attributes: the questions per category read from the city's file, and the answers checked and
turned into lines for staff."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.reports.attributes import AnswerRejected, answers_text, attributes_file, load_attributes
from bot.settings import REPO_ROOT
from tests.support.reports import CATEGORIES

DEMO = attributes_file(REPO_ROOT / "knowledge" / "data" / "city" / "report_categories.json")


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "report_attributes.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_demo_city_asks_about_known_categories_only() -> None:
    table = load_attributes(DEMO)
    assert set(table.by_category) <= {c.code for c in CATEGORIES.categories}
    assert table.of("other") == () and table.of("no-such-category") == ()
    (flow,) = table.of("water_leak")
    assert (flow.code, flow.required, flow.order, flow.value_name("gushing")) == (
        "flow",
        True,
        1,
        "噴き出している",
    )
    assert [a.order for a in table.of("street_light")] == [1, 2]


def test_no_file_means_no_questions(tmp_path: Path) -> None:
    assert load_attributes(tmp_path / "report_attributes.json").by_category == {}


@pytest.mark.parametrize(
    "bad",
    [
        {"x": [{"code": "a", "datatype": "colour", "description": "?"}]},  # unknown datatype
        {"x": [{"code": "a", "datatype": "singlevaluelist", "description": "?"}]},  # a list without values
        {"x": [{"code": "a", "description": "?", "values": [{"key": "k", "name": "n"}]}]},  # values, no list
        {"x": [{"code": "a"}]},  # no question
        [1, 2],
    ],
)
def test_a_broken_file_is_refused_clearly(tmp_path: Path, bad: object) -> None:
    with pytest.raises(ValueError, match="通報の追加質問"):
        load_attributes(write(tmp_path, bad))


def test_answers_become_lines_for_staff_in_the_questions_order() -> None:
    questions = load_attributes(DEMO).of("illegal_dumping")
    text = answers_text(questions, {"amount": ["small"], "waste_kind": ["tire", "bulky"], "other": ["x"]})
    assert text == "ごみの種類: タイヤ、粗大ごみ(家具・自転車など)\n量: 袋1〜2個ほど"
    assert answers_text(questions, {}) == ""  # nothing required here
    assert answers_text(questions, {"amount": ["  "]}) == ""  # a blank answer is no answer


@pytest.mark.parametrize(
    ("category", "answers", "says"),
    [
        ("water_leak", {}, "attribute[flow] is required"),
        ("water_leak", {"flow": ["flood"]}, "must be one of: seeping, flowing, gushing"),
        ("water_leak", {"flow": ["seeping", "flowing"]}, "takes one value"),
        ("road_damage", {"size_cm": ["大きい"]}, "attribute[size_cm] must be a number"),
        ("street_light", {"pole_number": ["x" * 501]}, "at most 500 characters"),
    ],
)
def test_answers_that_do_not_fit_are_rejected(category: str, answers: dict, says: str) -> None:
    with pytest.raises(AnswerRejected, match=re.escape(says)):
        answers_text(load_attributes(DEMO).of(category), answers)


def test_number_and_datetime_answers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {"x": [{"code": "n", "datatype": "number", "description": "数"}, {"code": "d", "datatype": "datetime",
                                                                          "label": "日時", "description": "いつ"}]},
    )  # fmt: skip
    questions = load_attributes(path).of("x")
    assert (
        answers_text(questions, {"n": ["2.5"], "d": ["2027-01-09T10:00"]})
        == "数: 2.5\n日時: 2027-01-09T10:00"
    )
    with pytest.raises(AnswerRejected, match="must be a datetime"):
        answers_text(questions, {"d": ["きのう"]})
