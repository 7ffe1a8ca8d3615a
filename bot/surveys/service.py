"""Building and answering surveys: versions, publishing, and residents' answers on LINE (one question at a
time) and on the web (the whole form at once).

A survey is edited until its first answer arrives; after that it is locked (:class:`SurveyLocked`) and staff make
a new version (:func:`new_version`, a draft copy). Publishing a version closes the earlier one it replaces.
Every staff change is written to the audit log in the same transaction. A resident answers once per survey
(one response row, UNIQUE per respondent) and may change answers until the survey closes. ``sender`` is the
resident's pseudonym; an anonymous survey stores only a keyed hash of it (:func:`bot.storage.surveys.respondent_of`).
The resident's age group and area are copied from their profile at answer time, for the cross-tabulation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage import accounts
from bot.storage.db import utcnow
from bot.storage.profiles import get_profile
from bot.storage.surveys import (
    CHANNELS,
    SurveyResponseRow,
    SurveyRow,
    has_responses,
    respondent_of,
    response_of,
)
from bot.surveys.definition import SurveyDef, SurveyError, check_answer, parse_definition


class SurveyClosed(SurveyError):
    """The survey is not open for answers (not yet, or no longer)."""


class SurveyLocked(SurveyError):
    """Answers have arrived: the survey can no longer be edited."""


@dataclass
class Progress:
    survey_id: int
    answers: dict[int, object]  # answered questions; a skipped optional one is None
    next_question: int | None  # None: every question answered or skipped
    completed: bool


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def get_survey(session: Session, survey_id: int) -> SurveyRow | None:
    return session.get(SurveyRow, survey_id)


def _survey(session: Session, survey_id: int, lock: bool | dict = False) -> SurveyRow:
    """The survey row; ``lock``: held until the transaction ends (True: for a change of the survey,
    ``{"read": True}``: for an answer), so that an answer and an edit never cross (PostgreSQL; SQLite has one
    writer at a time)."""
    row = session.get(SurveyRow, survey_id, with_for_update=lock or None)
    if row is None:
        raise SurveyError("そのアンケートはありません。")
    return row


def definition_of(row: SurveyRow) -> SurveyDef:
    return parse_definition(dict(row.definition))


def is_open(row: SurveyRow, now: datetime) -> bool:
    if row.status != "published":
        return False
    definition = definition_of(row)
    return definition.opens_at <= _aware(now) < definition.closes_at


def open_surveys(session: Session, now: datetime) -> list[SurveyRow]:
    rows = session.scalars(select(SurveyRow).where(SurveyRow.status == "published").order_by(SurveyRow.id))
    return [r for r in rows if is_open(r, now)]


def _audit(session: Session, actor: str, action: str, row: SurveyRow, detail: dict | None = None) -> None:
    accounts.audit(session, actor, action, f"survey:{row.id}", {"title": row.title, **(detail or {})})


# --- staff --------------------------------------------------------------------------------------------


def create_survey(session: Session, definition: SurveyDef, actor: str) -> SurveyRow:
    row = SurveyRow(title=definition.title, definition=definition.to_json(), created_by=actor)
    session.add(row)
    session.flush()
    _audit(session, actor, "survey.create", row, {"version": row.version})
    return row


def _check_editable(session: Session, row: SurveyRow) -> None:
    if has_responses(session, row.id):
        raise SurveyLocked(
            "回答が届いているため編集できません。「新しい版を作る」から新しい版を作ってください。"
        )
    if row.status == "closed":
        raise SurveyLocked(
            "締め切ったアンケートは編集できません。「新しい版を作る」から新しい版を作ってください。"
        )


def update_survey(session: Session, survey_id: int, definition: SurveyDef, actor: str) -> SurveyRow:
    row = _survey(session, survey_id, lock=True)
    _check_editable(session, row)
    before = dict(row.definition)
    row.title, row.definition = definition.title, definition.to_json()
    session.flush()
    changed = sorted(k for k in row.definition if row.definition[k] != before.get(k))
    _audit(session, actor, "survey.update", row, {"changed": changed})
    return row


def new_version(session: Session, survey_id: int, actor: str) -> SurveyRow:
    source = _survey(session, survey_id, lock=True)
    newer = session.scalar(select(SurveyRow).where(SurveyRow.previous_id == source.id).limit(1))
    if newer is not None:
        raise SurveyError(f"この版からは既に新しい版(ID {newer.id}、第{newer.version}版)が作られています。")
    row = SurveyRow(
        title=source.title,
        definition=dict(source.definition),
        version=source.version + 1,
        previous_id=source.id,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "survey.new_version", row, {"previous_id": source.id, "version": row.version})
    return row


def publish(session: Session, survey_id: int, actor: str, now: datetime | None = None) -> SurveyRow:
    """Open a draft for answers (from its opening moment); the earlier version it replaces closes."""
    row = _survey(session, survey_id)
    if row.status != "draft":
        raise SurveyError("公開できるのは下書きのアンケートだけです。")
    if definition_of(row).closes_at <= _aware(now or datetime.now(UTC)):
        raise SurveyError("締切日時が過ぎています。締切日時を直してから公開してください。")
    row.status, row.published_at = "published", utcnow()
    earlier = get_survey(session, row.previous_id) if row.previous_id else None
    if earlier is not None and earlier.status == "published":
        earlier.status, earlier.closed_at = "closed", utcnow()
        _audit(session, actor, "survey.close", earlier, {"replaced_by": row.id})
    session.flush()
    _audit(session, actor, "survey.publish", row, {"version": row.version})
    return row


def close(session: Session, survey_id: int, actor: str) -> SurveyRow:
    row = _survey(session, survey_id)
    if row.status == "closed":
        raise SurveyError("このアンケートは既に締め切っています。")
    row.status, row.closed_at = "closed", utcnow()
    session.flush()
    _audit(session, actor, "survey.close", row)
    return row


# --- residents ----------------------------------------------------------------------------------------


def _progress(row: SurveyRow, response: SurveyResponseRow) -> Progress:
    count = len(row.definition.get("questions", []))
    answers = {int(k): v for k, v in (response.answers or {}).items()}
    missing = [i for i in range(count) if i not in answers]
    return Progress(row.id, answers, missing[0] if missing else None, response.completed_at is not None)


def progress(session: Session, survey_id: int, sender: str) -> Progress | None:
    """Where the resident is in the survey (None: not started)."""
    row = get_survey(session, survey_id)
    if row is None:
        return None
    response = response_of(session, row, sender)
    return _progress(row, response) if response is not None else None


def _open_survey(session: Session, survey_id: int, now: datetime) -> tuple[SurveyRow, SurveyDef]:
    row = _survey(session, survey_id, lock={"read": True})
    definition = definition_of(row)
    if row.status == "closed" or _aware(now) >= definition.closes_at:
        raise SurveyClosed("このアンケートは締め切りました。ご協力ありがとうございました。")
    if row.status != "published" or _aware(now) < definition.opens_at:
        raise SurveyClosed("このアンケートはまだ始まっていません。")
    return row, definition


def _response(session: Session, row: SurveyRow, sender: str, channel: str) -> SurveyResponseRow:
    """The resident's response row, created on the first answer (a concurrent first answer wins once)."""
    if channel not in CHANNELS:
        raise SurveyError("回答の経路が正しくありません。")
    found = response_of(session, row, sender)
    if found is not None:
        return found
    response = SurveyResponseRow(survey_id=row.id, respondent=respondent_of(row, sender), channel=channel)
    try:
        with session.begin_nested():
            session.add(response)
    except IntegrityError:
        found = response_of(session, row, sender)
        if found is None:
            raise
        return found
    return response


def _store(
    session: Session, row: SurveyRow, response: SurveyResponseRow, sender: str, answers: dict[str, object]
) -> Progress:
    profile = get_profile(session, sender)
    response.answers = answers
    response.age_group = profile.age_group if profile is not None else None
    response.area = profile.area if profile is not None else None
    done = _progress(row, response)
    response.next_question = done.next_question if done.next_question is not None else len(done.answers)
    if done.next_question is None and response.completed_at is None:
        response.completed_at = utcnow()
    response.updated_at = utcnow()
    session.flush()
    return _progress(row, response)


def _question_index(definition: SurveyDef, index: int) -> int:
    if not isinstance(index, int) or not 0 <= index < len(definition.questions):
        raise SurveyError("その質問はありません。")
    return index


def save_answer(
    session: Session, survey_id: int, sender: str, index: int, value: object, channel: str, now: datetime
) -> Progress:
    """Answer (or change the answer to) one question."""
    row, definition = _open_survey(session, survey_id, now)
    index = _question_index(definition, index)
    normalised = check_answer(definition.questions[index], value)
    response = _response(session, row, sender, channel)
    answers = dict(response.answers or {})
    answers[str(index)] = normalised
    return _store(session, row, response, sender, answers)


def skip_question(
    session: Session, survey_id: int, sender: str, index: int, channel: str, now: datetime
) -> Progress:
    """Skip an optional question (a required one is refused)."""
    row, definition = _open_survey(session, survey_id, now)
    index = _question_index(definition, index)
    if definition.questions[index].required:
        raise SurveyError("この質問は回答が必要です。")
    response = _response(session, row, sender, channel)
    answers = dict(response.answers or {})
    answers[str(index)] = None
    return _store(session, row, response, sender, answers)


def submit(
    session: Session, survey_id: int, sender: str, answers: dict[int, object], channel: str, now: datetime
) -> Progress:
    """The whole form at once; replaces earlier answers. A SurveyError names the first question at fault."""
    row, definition = _open_survey(session, survey_id, now)
    checked: dict[str, object] = {}
    for index, question in enumerate(definition.questions):
        try:
            value = answers.get(index, answers.get(str(index)))  # type: ignore[call-overload]
            checked[str(index)] = check_answer(question, value)
        except SurveyError as exc:
            raise SurveyError(f"質問{index + 1}: {exc.message}") from None
    response = _response(session, row, sender, channel)
    return _store(session, row, response, sender, checked)
