"""The web survey form's questions as the template shows them, and a posted form read back into answers.

Every question's answer is checked on its own (`bot.surveys.definition.check_answer`), so that each problem is
shown beside its question and in the error summary, and what the resident already chose is shown again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.datastructures import FormData

from bot.surveys.definition import TEXT_MAX, Question, SurveyDef, SurveyError, check_answer
from knowledge.clock import CITY_TZ

RATING_LABELS = {1: "1（低い）", 2: "2", 3: "3", 4: "4", 5: "5（高い）"}
WEEKDAYS = "月火水木金土日"


@dataclass(frozen=True)
class QuestionView:
    index: int
    number: int  # 1-based, as residents count
    kind: str
    text: str
    choices: tuple[str, ...]
    required: bool
    value: Any  # what to show as chosen / written: str, list[str], int or None
    error: str | None

    @property
    def field(self) -> str:
        return f"q{self.index}"

    def chosen(self, choice: object) -> bool:
        if isinstance(self.value, list):
            return str(choice) in [str(v) for v in self.value]
        return self.value is not None and str(self.value) == str(choice)

    @property
    def text_value(self) -> str:
        return self.value if isinstance(self.value, str) else ""


def field_name(index: int) -> str:
    return f"q{index}"


def views(
    definition: SurveyDef, values: dict[int, Any] | None = None, errors: dict[int, str] | None = None
) -> list[QuestionView]:
    values, errors = values or {}, errors or {}
    return [
        QuestionView(
            index=i,
            number=i + 1,
            kind=q.kind,
            text=q.text,
            choices=tuple(q.choices),
            required=q.required,
            value=values.get(i),
            error=errors.get(i),
        )
        for i, q in enumerate(definition.questions)
    ]


def _raw(question: Question, form: FormData, name: str) -> Any:
    """What the browser sent for one question, before checking; None when nothing was given."""
    if question.kind == "multi":
        chosen = [str(v).strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]
        return chosen or None
    sent = form.get(name)
    if not isinstance(sent, str):
        return None
    if question.kind == "text":
        # browsers send a line break as CRLF, which would count twice against the 500 characters
        text = sent.replace("\r\n", "\n").replace("\r", "\n").strip()
        return text or None
    sent = sent.strip()
    if not sent:
        return None
    if question.kind == "rating":
        return int(sent) if sent.isdigit() and len(sent) < 3 else sent
    return sent


def read_answers(
    definition: SurveyDef, form: FormData
) -> tuple[dict[int, Any], dict[int, Any], dict[int, str]]:
    """(answers for `service.submit`, values to show again, errors by question index)."""
    answers: dict[int, Any] = {}
    shown: dict[int, Any] = {}
    errors: dict[int, str] = {}
    for i, question in enumerate(definition.questions):
        raw = _raw(question, form, field_name(i))
        shown[i] = raw
        try:
            value = check_answer(question, raw)
        except SurveyError as exc:
            errors[i] = exc.message
            continue
        if value is not None:
            answers[i] = value
    return answers, shown, errors


def text_max() -> int:
    return TEXT_MAX


def when(moment: datetime) -> str:
    """A date and time as a Japanese page shows it: 2026年12月7日(月) 9:00 (city time)."""
    local = moment.astimezone(CITY_TZ) if moment.tzinfo else moment
    return f"{local.year}年{local.month}月{local.day}日({WEEKDAYS[local.weekday()]}) {local.hour}:{local.minute:02d}"
