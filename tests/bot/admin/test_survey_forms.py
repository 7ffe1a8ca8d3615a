"""The builder's form keeps what was typed through every round trip and becomes a definition only on save."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.admin.survey_forms import QuestionForm, SurveyForm
from bot.surveys.definition import QUESTIONS_MAX


def posted(**over: str) -> dict[str, str]:
    data = {
        "title": "題",
        "opens_at": "2027-01-10T09:00",
        "closes_at": "2027-01-20T17:00",
        "anonymous": "0",
        "question_count": "3",
        "q0.kind": "multi",
        "q0.text": "一",
        "q0.choices": "A\r\nB\r\n",
        "q0.required": "1",
        "q1.kind": "rating",
        "q1.text": "二",
        "q1.choices": "消し忘れ",
        "q2.kind": "text",
        "q2.text": "三",
        "q2.delete": "1",
    }
    data.update(over)
    return data


def test_parse_round_trip_and_definition() -> None:
    form = SurveyForm.parse(posted())
    assert [q.text for q in form.questions] == ["一", "二"] and form.anonymous is False
    survey = form.definition()
    assert survey is not None and survey.questions[0].choices == ("A", "B")
    assert survey.questions[1].choices == () and survey.questions[1].required is False
    assert survey.opens_at.utcoffset().total_seconds() == 9 * 3600  # the city's time
    assert SurveyForm.of(survey).questions[0] == QuestionForm("multi", "一", "A\nB", True)


def test_buttons_add_and_move_and_errors_are_kept() -> None:
    form = SurveyForm.parse(posted())
    assert form.apply("add") and len(form.questions) == 3
    assert form.apply("up:1") and form.questions[0].text == "二"
    assert form.apply("down:9") and not form.apply("save")
    form.questions = [QuestionForm() for _ in range(QUESTIONS_MAX)]
    form.apply("add")
    assert len(form.questions) == QUESTIONS_MAX and "30個まで" in (form.error or "")
    bad = SurveyForm.parse(posted(opens_at="2027-01-30T09:00"))
    assert bad.definition() is None and "締切日時は開始日時より後" in (bad.error or "")
    blank = SurveyForm.blank(datetime(2027, 1, 1, 3, 30, tzinfo=UTC))
    assert (blank.opens_at, blank.closes_at) == ("2027-01-02T12:00", "2027-01-16T12:00")
