"""bot/api/survey_form.py: a posted form read back into answers, problems per question, values kept to show
again; dates as a Japanese page writes them."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import FormData

from bot.api import survey_form
from bot.surveys.definition import parse_definition
from tests.support.survey_web import definition


def form(*pairs: tuple[str, str]) -> FormData:
    return FormData(list(pairs))


DEF = parse_definition(definition())


def test_a_complete_form_becomes_normalised_answers() -> None:
    answers, shown, errors = survey_form.read_answers(
        DEF,
        form(("q0", "年に数回"), ("q1", "ごみ"), ("q1", "住民票"), ("q2", "５"), ("q3", " ご意見\r\nです ")),
    )
    assert errors == {}
    assert answers == {
        0: "年に数回",
        1: ["住民票", "ごみ"],
        2: 5,
        3: "ご意見\nです",
    }  # choices in their order
    assert shown[1] == ["ごみ", "住民票"] and shown[3] == "ご意見\nです"


def test_each_problem_is_kept_by_question_and_a_skipped_optional_one_is_left_out() -> None:
    answers, shown, errors = survey_form.read_answers(
        DEF, form(("q0", "毎日"), ("q1", ""), ("q2", "abc"), ("q3", "   "), ("csrf", "x"), ("q9", "extra"))
    )
    assert set(errors) == {0, 1, 2} and 3 not in answers
    assert errors[0] == "選択肢の中から1つ選んでください。"
    assert errors[1] == "この質問は回答が必要です。"
    assert errors[2] == "1から5の数字で答えてください。"
    assert shown[0] == "毎日" and shown[2] == "abc"  # shown again as sent (the template escapes it)


def test_views_mark_what_was_chosen() -> None:
    views = survey_form.views(DEF, {0: "年に数回", 1: ["ごみ"], 2: 4}, {3: "長すぎます"})
    assert [v.field for v in views] == ["q0", "q1", "q2", "q3"] and views[3].number == 4
    assert views[0].chosen("年に数回") and not views[0].chosen("月1回以上")
    assert views[1].chosen("ごみ") and not views[1].chosen("住民票")
    assert views[2].chosen(4) and views[2].chosen("4") and not views[2].chosen(5)
    assert views[3].error == "長すぎます" and views[3].text_value == ""


def test_dates_are_city_time_in_japanese() -> None:
    assert survey_form.when(datetime(2027, 1, 31, 8, 5, tzinfo=UTC)) == "2027年1月31日(日) 17:05"
