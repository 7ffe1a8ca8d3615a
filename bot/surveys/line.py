"""Surveys, the resident profile and the satisfaction check on LINE: what the LINE worker's handlers
(bot/line/handlers.py) hand over before a text or postback would go to the chat.

- 「アンケート」 (typed, or the `a=sv&o=list` postback) lists the open surveys; choosing one starts or resumes it,
  one question at a time (bot/surveys/talk.py). The pushed invitation's 「回答する」 opens it directly.
- 「登録情報」 shows, sets, changes or deletes the resident's age group and area (bot/surveys/registration.py).
- After a chat turn, when `satisfaction_due` says so, one 1–5 question is added to the answer (`with_satisfaction`);
  its postback (`a=st`) is recorded without the pseudonym (bot/surveys/satisfaction.py).

Everything else (any other text, an unknown postback) returns None: the chat answers as before, so a resident
in the middle of a survey who asks something else gets their answer and resumes later with 「アンケート」.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.messages import Messages as Wording
from bot.surveys import service
from bot.surveys.registration import ACTION as PROFILE_ACTION
from bot.surveys.registration import KEYWORDS as PROFILE_KEYWORDS
from bot.surveys.registration import Registration
from bot.surveys.satisfaction import SCORE_LABELS, mark_asked, record_satisfaction, satisfaction_due
from bot.surveys.talk import ACTION, CHANNEL, PAGE, Talk, data, normalise, now_utc, number, when
from channels.line import survey_messages as sm
from channels.line.messages import clamp, encode_postback

KEYWORDS = frozenset({"アンケート", "アンケートに答える", "アンケートに回答"})
SATISFACTION_ACTION = "st"

Messages = list[dict[str, Any]]
Also = Callable[[Session], Any] | None


class TurnLike(Protocol):
    """What of the LINE worker's `Turn` (bot/line/handlers.py) these conversations use."""

    @property
    def resident_key(self) -> str: ...

    @property
    def db(self) -> Callable[[Callable[[Session], Any]], Awaitable[Any]]: ...

    @property
    def save(self) -> Callable[..., Awaitable[Messages]]: ...


# Surveys: the list, and changing a finished survey -----------------------------------------------------------


def list_open(t: Talk, page: int = 0) -> Messages:
    rows = service.open_surveys(t.session, t.now)
    if not rows:
        return t.texts([t.w.text("survey_line_none")])
    lines, choices = [t.w.text("survey_line_list")], []
    for row in rows[page * PAGE : (page + 1) * PAGE]:
        survey = service.definition_of(row)
        progress = service.progress(t.session, row.id, t.sender)
        state = ""
        if progress is not None and progress.completed:
            state = t.w.text("survey_line_state_done")
        elif progress is not None and progress.answers:
            state = t.w.text("survey_line_state_started")
        closes = when(survey.closes_at)
        lines.append(t.w.text("survey_line_list_item", title=survey.title, closes=closes, state=state))
        choices.append((survey.title, data("open", row.id)))
    if len(rows) > (page + 1) * PAGE:
        choices.append((t.w.text("survey_line_button_more"), data("list", p=page + 1)))
    return t.texts(["\n".join(lines)], choices)


def change(t: Talk, fields: dict[str, str]) -> Messages:
    """The questions with the answers given, to pick one to change (paged)."""
    survey_id, page = number(fields, "s"), number(fields, "p") or 0
    survey, refusal = t.survey(survey_id)
    if survey is None or survey_id is None:
        return refusal
    progress = service.progress(t.session, survey_id, t.sender)
    if progress is None or not progress.answers:
        return t.open(survey_id)
    lines, choices = [t.w.text("survey_line_change_pick")], []
    for index in range(page * PAGE, min(len(survey.questions), (page + 1) * PAGE)):
        given = progress.answers.get(index)
        shown = "、".join(given) if isinstance(given, list) else str(given) if given is not None else ""
        answer = clamp(shown, 40) or t.w.text("survey_line_unanswered")
        text = survey.questions[index].text
        lines.append(t.w.text("survey_line_change_item", number=index + 1, text=text, answer=answer))
        label = t.w.text("survey_line_button_question", number=index + 1)
        choices.append((label, data("ask", survey_id, q=index)))
    if len(survey.questions) > (page + 1) * PAGE:
        choices.append((t.w.text("survey_line_button_more"), data("chg", survey_id, p=page + 1)))
    choices.append((t.w.text("survey_line_button_later"), data("later", survey_id)))
    return t.texts(["\n".join(lines)], choices)


def ask_again(t: Talk, fields: dict[str, str]) -> Messages:
    """One question of a survey, to change its answer."""
    survey_id, index = number(fields, "s"), number(fields, "q")
    survey, refusal = t.survey(survey_id)
    if survey is None or survey_id is None:
        return refusal
    if index is None or index >= len(survey.questions):
        return change(t, {"s": str(survey_id)})
    return t.question(survey_id, survey, index, edit=True)


SURVEY_POSTBACKS: dict[str, Callable[[Talk, dict[str, str]], Messages]] = {
    "list": lambda t, f: list_open(t, number(f, "p") or 0),
    "open": lambda t, f: t.open(number(f, "s")),
    "ans": Talk.answer,
    "tog": Talk.toggle,
    "next": Talk.next,
    "skip": Talk.skip,
    "later": Talk.later,
    "chg": change,
    "ask": ask_again,
}


def survey_postback(t: Talk, fields: dict[str, str]) -> Messages:
    handler = SURVEY_POSTBACKS.get(fields.get("o", ""))
    return handler(t, fields) if handler is not None else t.texts([t.w.text("survey_line_unknown")])


def invitation_data(survey_id: int) -> str:
    """The postback of the pushed invitation's 「回答する」 button."""
    return data("open", survey_id)


# Satisfaction -----------------------------------------------------------------------------------------------


def satisfaction_choices(w: Wording) -> list[sm.Choice]:
    """5 (満足) to 1 (不満), then 「答えない」."""
    choices = [
        (f"{v} {SCORE_LABELS[v]}", encode_postback(SATISFACTION_ACTION, v=str(v))) for v in range(5, 0, -1)
    ]
    choices.append(
        (w.text("satisfaction_line_button_no_answer"), encode_postback(SATISFACTION_ACTION, v="0"))
    )
    return choices


def satisfaction_answer(
    w: Wording, session: Session, sender: str, fields: dict[str, str], now: Any
) -> Messages:
    score = number(fields, "v")
    if score == 0:
        mark_asked(session, sender, now)
        return sm.ask([w.text("satisfaction_line_declined")])
    if score is None or not 1 <= score <= 5:
        return sm.ask([w.text("satisfaction_line_bad")], satisfaction_choices(w))
    record_satisfaction(session, sender, score, CHANNEL, now)
    return sm.ask([w.text("satisfaction_line_thanks")])


async def with_satisfaction(
    w: Wording, turn: TurnLike, messages: Messages, busy: Callable[[], Awaitable[bool]]
) -> tuple[Messages, Also]:
    """`messages` with the satisfaction question added when it is due, and what marks it asked (to run with
    the answer's save). Not while `busy` (a report form waits for its answer), and not after an answer that
    ends with a card of its own (an FAQ's 役に立った buttons) or already fills the five messages of a call:
    then it is asked on a later turn."""
    key, now = turn.resident_key, now_utc()
    if not messages or not await turn.db(lambda s: satisfaction_due(s, key, now)) or await busy():
        return messages, None
    asked = sm.append_question(messages, w.text("satisfaction_line_question"), satisfaction_choices(w))
    if asked is None:
        return messages, None
    return asked, lambda s: mark_asked(s, key, now)


# What the handlers call -------------------------------------------------------------------------------------


async def text_turn(w: Wording, turn: TurnLike, text: str, city_dir: Path | None = None) -> Messages | None:
    """The answer to a typed text when it is ours (a keyword, or the answer to a free-text question); None:
    the chat answers it."""
    key, now, word = turn.resident_key, now_utc(), normalise(text)
    if word in KEYWORDS:
        messages = await turn.db(lambda s: list_open(Talk(w, s, key, now)))
    elif word in PROFILE_KEYWORDS:
        messages = await turn.db(lambda s: Registration(w, s, key, city_dir).show())
    else:
        messages = await turn.db(lambda s: Talk(w, s, key, now).text(text))
        if messages is None:
            return None
    return await turn.save(messages)


async def postback_turn(
    w: Wording, turn: TurnLike, fields: dict[str, str], city_dir: Path | None = None
) -> Messages | None:
    """The answer to a survey, profile or satisfaction postback; None for any other postback."""
    key, now, action = turn.resident_key, now_utc(), fields.get("a")
    work: Callable[[Session], Messages]
    if action == ACTION:
        work = lambda s: survey_postback(Talk(w, s, key, now), fields)  # noqa: E731
    elif action == PROFILE_ACTION:
        work = lambda s: Registration(w, s, key, city_dir).postback(fields)  # noqa: E731
    elif action == SATISFACTION_ACTION:
        work = lambda s: satisfaction_answer(w, s, key, fields, now)  # noqa: E731
    else:
        return None
    return await turn.save(await turn.db(work))
