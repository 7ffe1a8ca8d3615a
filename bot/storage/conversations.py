"""Messages, the unanswered log, feedback and remembered preferences."""

from __future__ import annotations

from sqlalchemy import select
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
) -> Message:
    msg = Message(
        channel=channel,
        sender=sender,
        direction=direction,
        text=mask_pii(text)[:4000],
        intent=intent,
        faq_id=faq_id,
        fallback=fallback,
        payload=payload,
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
