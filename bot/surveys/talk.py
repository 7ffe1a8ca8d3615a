"""Answering a survey on LINE (the conversation bot/surveys/line.py starts): one question at a time.

Single choice and 1–5 ratings are postback quick replies; multiple choice toggles choices (✓) then 「次へ」; free
text is the resident's next text message (at most `TEXT_MAX` characters). Optional questions offer 「とばす」,
every question 「あとで」. Saying anything else pauses too: the chat answers as usual, and 「アンケート」 resumes
where the resident stopped. A finished survey can be changed question by question until it closes.

Postback data (`a=sv`) names the survey, the question and a fingerprint of that question's wording and
choices, so a forged or outdated button (the survey closed, the question changed) is refused with a clear
message and changes nothing. What a resident is doing (the question shown, the choices toggled so far) is one
`preferences` row (`STATE_KEY`), forgotten after `STATE_TTL`; the answers themselves go through
bot/surveys/service.py at once, so nothing answered is lost when a resident stops.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.messages import Messages as Wording
from bot.storage import conversations
from bot.storage.models import Preference
from bot.surveys import registration, service
from bot.surveys.definition import TEXT_MAX, Question, SurveyDef, SurveyError
from channels.line import survey_messages as sm
from channels.line.messages import MENU_TEXTS, encode_postback
from knowledge.clock import CITY_TZ

CHANNEL = "line"
ACTION = "sv"
STATE_KEY = "survey_line"
STATE_TTL = timedelta(minutes=60)  # a question left unanswered this long no longer takes the next text
PAUSE_WORDS = frozenset({"あとで", "後で", "やめる", "中断"})  # typed instead of a free-text answer
PAGE = 11  # questions or surveys per page of quick replies (with 「次のページ」 and one more item)

Messages = list[dict[str, Any]]
Choices = list[sm.Choice]


def now_utc() -> datetime:
    return datetime.now(UTC)


def normalise(text: str) -> str:
    """A typed keyword as compared: full-width folded, blanks and closing punctuation dropped."""
    folded = unicodedata.normalize("NFKC", text or "")
    return "".join(folded.split()).rstrip("。.!?")


def when(moment: datetime) -> str:
    local = moment.astimezone(CITY_TZ) if moment.tzinfo else moment.replace(tzinfo=UTC).astimezone(CITY_TZ)
    return f"{local.month}月{local.day}日 {local.hour}:{local.minute:02d}"


def fingerprint(question: Question) -> str:
    """8 hex digits that change when the question's kind, wording or choices change."""
    raw = json.dumps(question.to_json(), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:8]


def data(op: str, survey_id: int | None = None, **fields: Any) -> str:
    extra = {k: str(v) for k, v in fields.items() if v is not None}
    if survey_id is not None:
        extra["s"] = str(survey_id)
    return encode_postback(ACTION, o=op, **extra)


def number(fields: dict[str, str], key: str) -> int | None:
    value = fields.get(key, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


# What the resident is doing ----------------------------------------------------------------------------------


@dataclass
class State:
    survey_id: int
    index: int
    edit: bool = False
    picked: list[str] = field(default_factory=list)
    at: datetime = field(default_factory=now_utc)


def load_state(session: Session, sender: str, now: datetime) -> State | None:
    stored = conversations.get_preference(session, sender, STATE_KEY)
    if not stored:
        return None
    try:
        raw = json.loads(stored)
        state = State(
            int(raw["s"]),
            int(raw["q"]),
            bool(raw["e"]),
            [str(p) for p in raw["p"]],
            datetime.fromisoformat(raw["at"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    at = state.at if state.at.tzinfo is not None else state.at.replace(tzinfo=UTC)
    return state if now - at <= STATE_TTL else None


def save_state(session: Session, sender: str, state: State) -> None:
    value = {"s": state.survey_id, "q": state.index, "e": state.edit, "p": state.picked, "at": state.at}
    conversations.set_preference(session, sender, STATE_KEY, json.dumps(value, default=str))


def clear_state(session: Session, sender: str) -> None:
    session.execute(delete(Preference).where(Preference.sender == sender, Preference.key == STATE_KEY))


# The conversation (one database transaction per event) ------------------------------------------------------


@dataclass
class Talk:
    """One resident's survey conversation in one transaction: `session`, the resident, the moment."""

    w: Wording
    session: Session
    sender: str
    now: datetime

    def texts(self, texts: Sequence[str], choices: Sequence[sm.Choice] = ()) -> Messages:
        return sm.ask(texts, choices)

    # the list ----------------------------------------------------------------------------------------

    def survey(self, survey_id: int | None) -> tuple[SurveyDef | None, Messages]:
        """The definition of an open survey, or None and what to tell the resident."""
        row = service.get_survey(self.session, survey_id) if survey_id is not None else None
        if row is None or row.status == "draft":
            return None, self.texts([self.w.text("survey_line_unknown")])
        survey = service.definition_of(row)
        if service.is_open(row, self.now):
            return survey, []
        if row.status == "published" and self.now < survey.opens_at:
            return None, self.texts(
                [self.w.text("survey_line_not_yet", title=survey.title, opens=when(survey.opens_at))]
            )
        return None, self.texts([self.w.text("survey_line_closed", title=survey.title)])

    def open(self, survey_id: int | None) -> Messages:
        survey, refusal = self.survey(survey_id)
        if survey is None or survey_id is None:
            return refusal
        progress = service.progress(self.session, survey_id, self.sender)
        count = len(survey.questions)
        if progress is not None and (progress.completed or progress.next_question is None):
            text = self.w.text("survey_line_completed", title=survey.title, closes=when(survey.closes_at))
            return self.texts([text], [(self.w.text("survey_line_button_change"), data("chg", survey_id))])
        if progress is not None and progress.answers:
            index = progress.next_question or 0
            head = self.w.text("survey_line_resume", title=survey.title, count=count, number=index + 1)
            return self.question(survey_id, survey, index, head=[head])
        who = self.w.text("survey_line_anonymous" if survey.anonymous else "survey_line_named")
        intro = self.w.text(
            "survey_line_intro",
            title=survey.title,
            intro=survey.intro,
            count=count,
            closes=when(survey.closes_at),
        )
        return self.question(survey_id, survey, 0, head=[f"{intro}\n{who}"])

    def question(
        self,
        survey_id: int,
        survey: SurveyDef,
        index: int,
        *,
        edit: bool = False,
        head: Sequence[str] = (),
        picked: list[str] | None = None,
        notice: str = "",
    ) -> Messages:
        """Show question `index` (remembering it as the one being answered) with its choices."""
        q = survey.questions[index]
        if picked is None:
            progress = service.progress(self.session, survey_id, self.sender)
            before = progress.answers.get(index) if progress is not None else None
            picked = list(before) if q.kind == "multi" and isinstance(before, list) else []
        save_state(self.session, self.sender, State(survey_id, index, edit, picked, self.now))
        optional = "" if q.required else self.w.text("survey_line_optional")
        text = self.w.text(
            "survey_line_question",
            number=index + 1,
            count=len(survey.questions),
            optional=optional,
            text=q.text,
        )
        mark = {"q": index, "h": fingerprint(q), "m": "e" if edit else None}
        choices: Choices = []
        if q.kind == "single":
            hint = self.w.text("survey_line_hint_single")
            choices = [(c, data("ans", survey_id, v=k, **mark)) for k, c in enumerate(q.choices)]
        elif q.kind == "rating":
            hint = self.w.text("survey_line_hint_rating")
            choices = [(str(v), data("ans", survey_id, v=v, **mark)) for v in range(1, 6)]
        elif q.kind == "multi":
            shown = "、".join(picked)
            hint = (
                self.w.text("survey_line_hint_multi")
                + "\n"
                + (
                    self.w.text("survey_line_picked", picked=shown)
                    if picked
                    else self.w.text("survey_line_picked_none")
                )
            )
            for k, c in enumerate(q.choices):
                on = c in picked
                choices.append((f"✓{c}" if on else c, data("tog", survey_id, v=k, on=0 if on else 1, **mark)))
            choices.append((self.w.text("survey_line_button_next"), data("next", survey_id, **mark)))
        else:
            hint = self.w.text("survey_line_hint_text", max=TEXT_MAX)
        if not q.required:
            choices.append((self.w.text("survey_line_button_skip"), data("skip", survey_id, **mark)))
        choices.append((self.w.text("survey_line_button_later"), data("later", survey_id)))
        return self.texts([*head, *([notice] if notice else []), f"{text}\n{hint}"], choices)

    def after(self, survey_id: int, survey: SurveyDef, progress: service.Progress, edit: bool) -> Messages:
        """What follows a saved answer: the next question, or the thanks (or, when changing, the 'changed')."""
        if edit:
            changed = self.w.text("survey_line_changed")
            if progress.next_question is not None:  # changed before finishing: on to the first one left
                return self.question(survey_id, survey, progress.next_question, head=[changed])
            clear_state(self.session, self.sender)
            more = (self.w.text("survey_line_button_change"), data("chg", survey_id))
            return self.texts([changed], [more])
        if progress.next_question is None:
            clear_state(self.session, self.sender)
            done = self.w.text("survey_line_done", closes=when(survey.closes_at))
            return registration.offer_once(self.w, self.session, self.sender, [done]) or self.texts([done])
        return self.question(survey_id, survey, progress.next_question)

    def checked(self, fields: dict[str, str]) -> tuple[int, SurveyDef, int, bool] | Messages:
        """(survey id, definition, question index, edit) of an answer postback, or the refusal to send."""
        survey_id, index = number(fields, "s"), number(fields, "q")
        survey, refusal = self.survey(survey_id)
        if survey is None or survey_id is None:
            return refusal
        if (
            index is None
            or index >= len(survey.questions)
            or fields.get("h") != fingerprint(survey.questions[index])
        ):
            progress = service.progress(self.session, survey_id, self.sender)
            stale = self.w.text("survey_line_stale")
            if progress is not None and progress.next_question is None:
                closes = when(survey.closes_at)
                done = self.w.text("survey_line_completed", title=survey.title, closes=closes)
                change = (self.w.text("survey_line_button_change"), data("chg", survey_id))
                return self.texts([stale, done], [change])
            current = progress.next_question if progress is not None else 0
            return self.question(survey_id, survey, current or 0, notice=stale)
        return survey_id, survey, index, fields.get("m") == "e"

    def answer(self, fields: dict[str, str]) -> Messages:
        """A single choice or a rating, by postback."""
        checked = self.checked(fields)
        if isinstance(checked, list):
            return checked
        survey_id, survey, index, edit = checked
        q, v = survey.questions[index], number(fields, "v")
        if q.kind == "single" and v is not None and v < len(q.choices):
            return self.store(survey_id, survey, index, q.choices[v], edit)
        if q.kind == "rating" and v is not None and 1 <= v <= 5:
            return self.store(survey_id, survey, index, v, edit)
        return self.question(survey_id, survey, index, edit=edit, notice=self.w.text("survey_line_stale"))

    def store(self, survey_id: int, survey: SurveyDef, index: int, value: object, edit: bool) -> Messages:
        try:
            progress = service.save_answer(
                self.session, survey_id, self.sender, index, value, CHANNEL, self.now
            )
        except service.SurveyClosed:
            clear_state(self.session, self.sender)
            return self.texts([self.w.text("survey_line_closed", title=survey.title)])
        except SurveyError as exc:  # the answer is refused: say why and ask again
            return self.question(survey_id, survey, index, edit=edit, notice=exc.message)
        return self.after(survey_id, survey, progress, edit)

    def toggle(self, fields: dict[str, str]) -> Messages:
        checked = self.checked(fields)
        if isinstance(checked, list):
            return checked
        survey_id, survey, index, edit = checked
        q, v = survey.questions[index], number(fields, "v")
        if q.kind != "multi" or v is None or v >= len(q.choices):
            return self.question(survey_id, survey, index, edit=edit, notice=self.w.text("survey_line_stale"))
        picked = self.picked(survey_id, index)
        choice = q.choices[v]
        chosen = (set(picked) | {choice}) if fields.get("on") == "1" else (set(picked) - {choice})
        return self.question(
            survey_id, survey, index, edit=edit, picked=[c for c in q.choices if c in chosen]
        )

    def picked(self, survey_id: int, index: int) -> list[str]:
        """The choices toggled so far for a multiple-choice question (else its saved answer)."""
        state = load_state(self.session, self.sender, self.now)
        if state is not None and (state.survey_id, state.index) == (survey_id, index):
            return state.picked
        progress = service.progress(self.session, survey_id, self.sender)
        before = progress.answers.get(index) if progress is not None else None
        return list(before) if isinstance(before, list) else []

    def next(self, fields: dict[str, str]) -> Messages:
        checked = self.checked(fields)
        if isinstance(checked, list):
            return checked
        survey_id, survey, index, edit = checked
        if survey.questions[index].kind != "multi":
            return self.question(survey_id, survey, index, edit=edit, notice=self.w.text("survey_line_stale"))
        return self.store(survey_id, survey, index, self.picked(survey_id, index), edit)

    def skip(self, fields: dict[str, str]) -> Messages:
        checked = self.checked(fields)
        if isinstance(checked, list):
            return checked
        survey_id, survey, index, edit = checked
        if survey.questions[index].required:
            return self.question(
                survey_id, survey, index, edit=edit, notice=self.w.text("survey_line_required")
            )
        try:
            progress = service.skip_question(self.session, survey_id, self.sender, index, CHANNEL, self.now)
        except service.SurveyClosed:
            return self.texts([self.w.text("survey_line_closed", title=survey.title)])
        except SurveyError as exc:
            return self.question(survey_id, survey, index, edit=edit, notice=exc.message)
        return self.after(survey_id, survey, progress, edit)

    def text(self, text: str) -> Messages | None:
        """The resident's text as the answer to the free-text question shown last; None when none waits."""
        state = load_state(self.session, self.sender, self.now)
        if state is None:
            return None
        row = service.get_survey(self.session, state.survey_id)
        if row is None or not service.is_open(row, self.now):
            clear_state(self.session, self.sender)
            return None  # closed meanwhile: the text goes to the chat
        survey = service.definition_of(row)
        if state.index >= len(survey.questions) or survey.questions[state.index].kind != "text":
            return None  # a choice question waits: typing something else pauses it
        answer = text.strip()
        if normalise(answer) in PAUSE_WORDS:
            return self.later({"s": str(state.survey_id)})
        if answer in MENU_TEXTS:  # a rich-menu item tapped: the resident went elsewhere (resumed later)
            clear_state(self.session, self.sender)
            return None
        if len(answer) > TEXT_MAX:
            notice = self.w.text("survey_line_text_too_long", length=len(answer), max=TEXT_MAX)
            return self.question(state.survey_id, survey, state.index, edit=state.edit, notice=notice)
        return self.store(state.survey_id, survey, state.index, answer, state.edit)

    def later(self, fields: dict[str, str]) -> Messages:
        clear_state(self.session, self.sender)
        row = service.get_survey(self.session, number(fields, "s") or 0)
        if row is None:
            return self.texts([self.w.text("survey_line_unknown")])
        survey = service.definition_of(row)
        return self.texts([self.w.text("survey_line_paused", closes=when(survey.closes_at))])
