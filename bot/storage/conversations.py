"""Messages, the unanswered log, feedback and remembered preferences (and the report form's open question)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.privacy import mask_pii
from bot.storage.db import utcnow
from bot.storage.models import Feedback, Message, Preference, Unanswered


def add_message(
    session: Session,
    *,
    channel: str,
    sender: str,
    direction: str,
    text: str,
    intent: str | None = None,
    faq_id: str | None = None,
    fallback: bool = False,
    payload: dict | None = None,
    line_message_id: str | None = None,
) -> Message:
    """Store one message. A resident's LINE message is stored once: when its event is answered again (its worker
    died, or the database went away after the message was stored and before the event was marked done), the row
    stored the first time is returned instead of a second one."""
    if line_message_id is not None and direction == "in":
        stored = session.scalars(
            select(Message).where(
                Message.sender == sender,
                Message.direction == "in",
                Message.line_message_id == line_message_id,
            )
        ).first()
        if stored is not None:
            return stored
    msg = Message(
        channel=channel,
        sender=sender,
        direction=direction,
        text=mask_pii(text)[:4000],
        intent=intent,
        faq_id=faq_id,
        fallback=fallback,
        payload=payload,
        line_message_id=line_message_id,
    )
    session.add(msg)
    session.flush()
    return msg


def history(session: Session, sender: str, limit: int = 50) -> list[Message]:
    rows = session.scalars(
        select(Message).where(Message.sender == sender).order_by(Message.id.desc()).limit(limit)
    ).all()
    return list(reversed(rows))


def log_unanswered(
    session: Session,
    *,
    text: str,
    channel: str,
    sender: str,
    reason: str,
    candidates: list[dict],
    top_score: float = 0.0,
) -> Unanswered:
    row = Unanswered(
        text=mask_pii(text)[:1000],
        channel=channel,
        sender=sender,
        reason=reason,
        candidates=candidates,
        top_score=float(top_score),
    )
    session.add(row)
    session.flush()
    return row


def list_unanswered(session: Session, status: str | None = "open", limit: int = 500) -> list[Unanswered]:
    query = select(Unanswered).order_by(Unanswered.id.desc()).limit(limit)
    if status:
        query = query.where(Unanswered.status == status)
    return list(session.scalars(query))


def add_feedback(
    session: Session,
    *,
    channel: str,
    sender: str,
    faq_id: str | None,
    helpful: bool,
    message_id: int | None = None,
    comment: str = "",
) -> Feedback:
    row = Feedback(
        channel=channel,
        sender=sender,
        faq_id=faq_id,
        helpful=helpful,
        message_id=message_id,
        comment=mask_pii(comment)[:1000],
    )
    session.add(row)
    session.flush()
    return row


def get_preference(session: Session, sender: str, key: str) -> str | None:
    return session.scalar(select(Preference.value).where(Preference.sender == sender, Preference.key == key))


def set_preference(session: Session, sender: str, key: str, value: str) -> None:
    row = session.scalar(select(Preference).where(Preference.sender == sender, Preference.key == key))
    if row is None:
        session.add(Preference(sender=sender, key=key, value=value))
    else:
        row.value = value
        row.updated_at = utcnow()
    session.flush()


def forget_line_message(session: Session, sender: str, line_message_id: str) -> int:
    """A LINE resident unsent a message: delete its stored text, and the unanswered-log entry made from it."""
    rows = list(
        session.scalars(
            select(Message).where(Message.sender == sender, Message.line_message_id == line_message_id)
        )
    )
    for row in rows:
        session.execute(
            delete(Unanswered).where(
                Unanswered.sender == sender,
                Unanswered.text == row.text[:1000],
                Unanswered.created_at >= row.created_at,
            )
        )
        session.delete(row)
    session.flush()
    return len(rows)


# The question a report form is waiting for: set by the form's questions (actions/report_form.py), read by a
# channel when the resident sends something the form cannot use (a sticker, a video) to repeat it.
REPORT_QUESTION = "report_question"
REPORT_QUESTION_TTL = timedelta(minutes=60)  # Rasa's session_expiration_time: the form is gone after that


def set_report_question(session: Session, sender: str, text: str, buttons: list[dict[str, Any]]) -> None:
    value = {"text": text, "buttons": buttons, "at": utcnow().isoformat()}
    set_preference(session, sender, REPORT_QUESTION, json.dumps(value, ensure_ascii=False))


def clear_report_question(session: Session, sender: str) -> None:
    session.execute(delete(Preference).where(Preference.sender == sender, Preference.key == REPORT_QUESTION))


def report_question(session: Session, sender: str, now: datetime | None = None) -> dict[str, Any] | None:
    """`{"text", "buttons": [{"title", "payload"}]}` of the form's open question, or None (no form running)."""
    stored = get_preference(session, sender, REPORT_QUESTION)
    try:
        value = json.loads(stored) if stored else None
        at = datetime.fromisoformat(value["at"]) if isinstance(value, dict) else None
    except (ValueError, KeyError, TypeError):
        return None
    if value is None or at is None or (now or utcnow()) - at > REPORT_QUESTION_TTL:
        return None
    return {"text": str(value.get("text") or ""), "buttons": list(value.get("buttons") or [])}
