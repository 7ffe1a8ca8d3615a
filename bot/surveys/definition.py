"""What a survey is: its title, introduction, open and close moments, anonymity and questions, and the checks
that every definition and every answer pass before anything is stored.

A question is one of four kinds: ``single`` (one choice), ``multi`` (any number of choices), ``rating`` (1–5)
and ``text`` (free text up to :data:`TEXT_MAX` characters). Choices are 2–10 short labels (at most 20
characters, so they fit LINE's quick-reply buttons). Every refusal is a :class:`SurveyError` whose ``message``
is Japanese and can be shown to staff or residents as it is.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from knowledge.clock import CITY_TZ

KINDS = ("single", "multi", "rating", "text")
KIND_LABELS = {"single": "単一選択", "multi": "複数選択", "rating": "5段階評価", "text": "自由記述"}
TEXT_MAX = 500
TITLE_MAX, INTRO_MAX, QUESTION_MAX = 100, 1000, 200
CHOICES_MIN, CHOICES_MAX, CHOICE_MAX = 2, 10, 20
QUESTIONS_MAX = 30
RATING_MIN, RATING_MAX = 1, 5


class SurveyError(ValueError):
    """A refusal with a Japanese ``message`` shown as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Question:
    kind: str  # one of KINDS
    text: str
    choices: tuple[str, ...] = ()  # single/multi only
    required: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "choices": list(self.choices),
            "required": self.required,
        }


@dataclass(frozen=True)
class SurveyDef:
    title: str
    intro: str
    opens_at: datetime  # aware
    closes_at: datetime
    anonymous: bool
    questions: tuple[Question, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "intro": self.intro,
            "opens_at": self.opens_at.isoformat(),
            "closes_at": self.closes_at.isoformat(),
            "anonymous": self.anonymous,
            "questions": [q.to_json() for q in self.questions],
        }


def _text(value: Any) -> str:
    """Text as typed, without surrounding blanks; full-width spaces count as blanks."""
    return str(value).strip() if value is not None else ""


def _moment(value: Any, label: str) -> datetime:
    """An aware datetime; a naive one (or an ISO string without offset) is the city's local time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise SurveyError(f"{label}は 2027-01-31 09:00 のような日時で入力してください。") from None
    if not isinstance(value, datetime):
        raise SurveyError(f"{label}を入力してください。")
    return value if value.tzinfo is not None else value.replace(tzinfo=CITY_TZ)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def parse_question(data: Any, number: int) -> Question:
    """One question from its JSON form; ``number`` (1-based) names it in messages."""
    if not isinstance(data, dict):
        raise SurveyError(f"質問{number}の形式が正しくありません。")
    kind = _text(data.get("kind"))
    if kind not in KINDS:
        raise SurveyError(f"質問{number}の種類を選んでください(単一選択・複数選択・5段階評価・自由記述)。")
    text = _text(data.get("text"))
    if not text:
        raise SurveyError(f"質問{number}の文を入力してください。")
    if len(text) > QUESTION_MAX:
        raise SurveyError(f"質問{number}の文は{QUESTION_MAX}文字以内にしてください。")
    raw = data.get("choices") or []
    if isinstance(raw, str):
        raw = raw.splitlines()
    choices = tuple(c for c in (_text(c) for c in raw) if c)
    if kind in ("single", "multi"):
        if not CHOICES_MIN <= len(choices) <= CHOICES_MAX:
            raise SurveyError(f"質問{number}の選択肢は{CHOICES_MIN}〜{CHOICES_MAX}個にしてください。")
        long = [c for c in choices if len(c) > CHOICE_MAX]
        if long:
            raise SurveyError(
                f"質問{number}の選択肢「{long[0]}」が長すぎます。LINE のボタンに収まるよう"
                f"{CHOICE_MAX}文字以内にしてください。"
            )
        if len(set(choices)) != len(choices):
            raise SurveyError(f"質問{number}に同じ選択肢が2つあります。")
    elif choices:
        raise SurveyError(f"質問{number}({KIND_LABELS[kind]})には選択肢を付けられません。")
    return Question(kind, text, choices, _flag(data.get("required", True)))


def parse_definition(data: dict) -> SurveyDef:
    """A checked definition from its JSON form (what :meth:`SurveyDef.to_json` writes, or the console's)."""
    if not isinstance(data, dict):
        raise SurveyError("アンケートの形式が正しくありません。")
    title = _text(data.get("title"))
    if not title:
        raise SurveyError("タイトルを入力してください。")
    if len(title) > TITLE_MAX:
        raise SurveyError(f"タイトルは{TITLE_MAX}文字以内にしてください。")
    intro = _text(data.get("intro"))
    if len(intro) > INTRO_MAX:
        raise SurveyError(f"説明文は{INTRO_MAX}文字以内にしてください。")
    opens_at = _moment(data.get("opens_at"), "開始日時")
    closes_at = _moment(data.get("closes_at"), "締切日時")
    if closes_at <= opens_at:
        raise SurveyError("締切日時は開始日時より後にしてください。")
    raw = data.get("questions") or []
    if not isinstance(raw, list | tuple) or not raw:
        raise SurveyError("質問を1つ以上作ってください。")
    if len(raw) > QUESTIONS_MAX:
        raise SurveyError(f"質問は{QUESTIONS_MAX}個までです。")
    questions = tuple(parse_question(q, i + 1) for i, q in enumerate(raw))
    return SurveyDef(title, intro, opens_at, closes_at, _flag(data.get("anonymous", False)), questions)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == ()


def check_answer(q: Question, value: object) -> object:
    """The normalised answer to ``q`` (str for single/text, list[str] in choice order for multi, int for
    rating), or None for a skipped optional question; SurveyError when it cannot be accepted."""
    if _is_blank(value):
        if q.required:
            raise SurveyError("この質問は回答が必要です。")
        return None
    if q.kind == "single":
        choice = _text(value)
        if choice not in q.choices:
            raise SurveyError("選択肢の中から1つ選んでください。")
        return choice
    if q.kind == "multi":
        picked = [value] if isinstance(value, str) else value
        if not isinstance(picked, list | tuple | set):
            raise SurveyError("選択肢の中から選んでください。")
        chosen = {_text(v) for v in picked}
        if not chosen <= set(q.choices):
            raise SurveyError("選択肢の中から選んでください。")
        return [c for c in q.choices if c in chosen]
    if q.kind == "rating":
        if isinstance(value, bool):
            raise SurveyError("1から5の数字で答えてください。")
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if not text.isdigit() or not RATING_MIN <= int(text) <= RATING_MAX:
            raise SurveyError("1から5の数字で答えてください。")
        return int(text)
    if not isinstance(value, str):
        raise SurveyError("文章で答えてください。")
    text = value.strip()
    if len(text) > TEXT_MAX:
        raise SurveyError(f"{TEXT_MAX}文字以内で入力してください(いま{len(text)}文字です)。")
    return text
