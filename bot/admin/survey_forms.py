"""The survey builder's form: what the staff typed, kept whole across every round trip (adding, removing or
moving a question, a preview, a refused save), and turned into a checked definition only on save.

Plain HTML form fields, so the builder works without JavaScript: the title, introduction, open and close
moments (``datetime-local``, the city's time), anonymity, and per question ``q<i>.kind``, ``q<i>.text``,
``q<i>.choices`` (one per line), ``q<i>.required`` and ``q<i>.delete``. The button pressed comes as ``action``:
``save``, ``preview``, ``add``, ``up:<i>`` or ``down:<i>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.surveys.definition import KINDS, QUESTIONS_MAX, SurveyDef, SurveyError, parse_definition
from knowledge.clock import CITY_TZ

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def local_input(moment: datetime) -> str:
    """A moment as a ``datetime-local`` value in the city's time."""
    return moment.astimezone(CITY_TZ).strftime(LOCAL_FORMAT)


@dataclass
class QuestionForm:
    kind: str = "single"
    text: str = ""
    choices: str = ""  # one per line
    required: bool = True

    def is_blank(self) -> bool:
        return not self.text.strip() and not self.choices.strip()


@dataclass
class SurveyForm:
    title: str = ""
    intro: str = ""
    opens_at: str = ""
    closes_at: str = ""
    anonymous: bool = True
    questions: list[QuestionForm] = field(default_factory=list)
    error: str | None = None

    @classmethod
    def blank(cls, now: datetime) -> SurveyForm:
        start = now.astimezone(CITY_TZ).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        return cls(
            opens_at=start.strftime(LOCAL_FORMAT),
            closes_at=(start + timedelta(days=14)).strftime(LOCAL_FORMAT),
            questions=[QuestionForm()],
        )

    @classmethod
    def of(cls, definition: SurveyDef) -> SurveyForm:
        return cls(
            title=definition.title,
            intro=definition.intro,
            opens_at=local_input(definition.opens_at),
            closes_at=local_input(definition.closes_at),
            anonymous=definition.anonymous,
            questions=[
                QuestionForm(q.kind, q.text, "\n".join(q.choices), q.required) for q in definition.questions
            ],
        )

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> SurveyForm:
        """The form as posted (nothing checked yet; questions marked for deletion are left out)."""
        try:
            count = min(int(str(data.get("question_count", "0"))), QUESTIONS_MAX + 1)
        except ValueError:
            count = 0
        questions = []
        for i in range(max(count, 0)):
            if data.get(f"q{i}.delete"):
                continue
            kind = str(data.get(f"q{i}.kind", "single"))
            questions.append(
                QuestionForm(
                    kind=kind if kind in KINDS else "single",
                    text=str(data.get(f"q{i}.text", "")),
                    choices=str(data.get(f"q{i}.choices", "")).replace("\r\n", "\n"),
                    required=bool(data.get(f"q{i}.required")),
                )
            )
        return cls(
            title=str(data.get("title", "")),
            intro=str(data.get("intro", "")).replace("\r\n", "\n"),
            opens_at=str(data.get("opens_at", "")),
            closes_at=str(data.get("closes_at", "")),
            anonymous=str(data.get("anonymous", "1")) == "1",
            questions=questions,
        )

    def apply(self, action: str) -> bool:
        """Carry out an editing button (add, move); False when ``action`` is not one."""
        if action == "add":
            if len(self.questions) >= QUESTIONS_MAX:
                self.error = f"質問は{QUESTIONS_MAX}個までです。"
            else:
                self.questions.append(QuestionForm())
            return True
        direction, _, number = action.partition(":")
        if direction in ("up", "down") and number.isdigit():
            i = int(number)
            j = i - 1 if direction == "up" else i + 1
            if 0 <= i < len(self.questions) and 0 <= j < len(self.questions):
                self.questions[i], self.questions[j] = self.questions[j], self.questions[i]
            return True
        return False

    def to_data(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "intro": self.intro,
            "opens_at": self.opens_at,
            "closes_at": self.closes_at,
            "anonymous": self.anonymous,
            "questions": [
                {
                    "kind": q.kind,
                    "text": q.text,
                    "choices": q.choices.split("\n") if q.kind in ("single", "multi") else [],
                    "required": q.required,
                }
                for q in self.questions
                if not q.is_blank()
            ],
        }

    def definition(self) -> SurveyDef | None:
        """The checked definition, or None with ``error`` set (in Japanese)."""
        try:
            return parse_definition(self.to_data())
        except SurveyError as exc:
            self.error = exc.message
            return None
