"""Survey definitions and answers are checked before anything is stored; every refusal is Japanese."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.surveys.definition import (
    TEXT_MAX,
    Question,
    SurveyError,
    check_answer,
    parse_definition,
)
from knowledge.clock import CITY_TZ


def data(**over: object) -> dict:
    base = {
        "title": "市民満足度調査",
        "intro": "市のサービスについて教えてください。",
        "opens_at": "2027-01-10T09:00:00+09:00",
        "closes_at": "2027-01-31T17:00:00+09:00",
        "anonymous": True,
        "questions": [
            {"kind": "single", "text": "よく使う窓口は", "choices": ["本庁", "支所"], "required": True},
            {"kind": "multi", "text": "知っている制度", "choices": ["A", "B", "C"]},
            {"kind": "rating", "text": "満足度", "required": False},
            {"kind": "text", "text": "ご意見", "required": False},
        ],
    }
    base.update(over)
    return base


def test_a_definition_round_trips_through_json() -> None:
    survey = parse_definition(data())
    assert survey.questions[1].choices == ("A", "B", "C")
    assert survey.questions[2].required is False
    assert parse_definition(survey.to_json()) == survey


def test_naive_dates_are_the_citys_time() -> None:
    survey = parse_definition(data(opens_at="2027-01-10T09:00", closes_at=datetime(2027, 1, 31, 17)))
    assert survey.opens_at == datetime(2027, 1, 10, 9, tzinfo=CITY_TZ)
    assert survey.opens_at.astimezone(UTC).hour == 0


@pytest.mark.parametrize(
    ("over", "words"),
    [
        ({"title": " "}, "タイトル"),
        ({"title": "あ" * 101}, "100文字"),
        ({"closes_at": "2027-01-01T00:00+09:00"}, "締切日時は開始日時より後"),
        ({"opens_at": "来週"}, "開始日時"),
        ({"questions": []}, "質問を1つ以上"),
        ({"questions": [{"kind": "poll", "text": "x"}]}, "質問1の種類"),
        ({"questions": [{"kind": "single", "text": "x", "choices": ["A"]}]}, "2〜10個"),
        ({"questions": [{"kind": "single", "text": "x", "choices": ["A", "B" * 21]}]}, "20文字以内"),
        ({"questions": [{"kind": "multi", "text": "x", "choices": ["A", "A"]}]}, "同じ選択肢"),
        ({"questions": [{"kind": "rating", "text": "x", "choices": ["A", "B"]}]}, "選択肢を付けられません"),
        ({"questions": [{"kind": "text", "text": ""}]}, "質問1の文"),
    ],
)
def test_bad_definitions_are_refused_in_japanese(over: dict, words: str) -> None:
    with pytest.raises(SurveyError) as caught:
        parse_definition(data(**over))
    assert words in caught.value.message


def test_answers_are_normalised() -> None:
    single = Question("single", "窓口", ("本庁", "支所"))
    multi = Question("multi", "制度", ("A", "B", "C"))
    assert check_answer(single, " 支所 ") == "支所"
    assert check_answer(multi, ["C", "A", "C"]) == ["A", "C"]
    assert check_answer(multi, "B") == ["B"]
    assert check_answer(Question("rating", "満足度"), "４") == 4
    assert check_answer(Question("rating", "満足度"), 5) == 5
    assert check_answer(Question("text", "ご意見"), "  ありがとう ") == "ありがとう"
    assert check_answer(Question("text", "ご意見", required=False), "") is None


@pytest.mark.parametrize(
    ("question", "value", "words"),
    [
        (Question("single", "窓口", ("本庁", "支所")), "出張所", "選択肢の中から1つ"),
        (Question("multi", "制度", ("A", "B")), ["A", "Z"], "選択肢の中から"),
        (Question("rating", "満足度"), 6, "1から5"),
        (Question("rating", "満足度"), True, "1から5"),
        (Question("rating", "満足度"), "とても", "1から5"),
        (Question("text", "ご意見"), "あ" * (TEXT_MAX + 1), "500文字以内"),
        (Question("text", "ご意見"), ["list"], "文章で"),
        (Question("single", "窓口", ("本庁", "支所")), None, "回答が必要"),
    ],
)
def test_bad_answers_are_refused(question: Question, value: object, words: str) -> None:
    with pytest.raises(SurveyError) as caught:
        check_answer(question, value)
    assert words in caught.value.message
