"""Core tables: the FAQ knowledge base, conversations and what the bot could not answer."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.db import Base, utcnow


class FaqRow(Base):
    __tablename__ = "faq_entries"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64), default="", index=True)
    department: Mapped[str] = mapped_column(String(128), default="", index=True)
    url: Mapped[str] = mapped_column(Text, default="")
    alt_questions: Mapped[list] = mapped_column(default=list)
    keywords: Mapped[list] = mapped_column(default=list)
    answer_en: Mapped[str] = mapped_column(Text, default="")
    answer_easy: Mapped[str] = mapped_column(Text, default="")
    translations: Mapped[dict] = mapped_column(default=dict)  # answer_<lang> other than answer_en
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class FaqHistory(Base):
    """Every change to an FAQ entry: who, when, what it was before and after."""

    __tablename__ = "faq_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    faq_id: Mapped[str] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete | revert
    before: Mapped[dict | None] = mapped_column(nullable=True)
    after: Mapped[dict | None] = mapped_column(nullable=True)
    actor: Mapped[str] = mapped_column(String(128), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class KbState(Base):
    """A single row whose revision grows on every KB write; processes poll it to stay live."""

    __tablename__ = "kb_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Message(Base):
    """One message in or out, text already PII-masked; sender is a pseudonym."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_sender_created", "sender", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(4))  # in | out
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    faq_id: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # LINE's id of the resident's message (incoming LINE messages only): an `unsend` deletes the row by it
    line_message_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class Unanswered(Base):
    """A question the bot could not answer confidently, for staff to turn into content."""

    __tablename__ = "unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    sender: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(32), default="unknown")  # unknown | choose | low_rating
    top_score: Mapped[float] = mapped_column(Float, default=0.0)
    candidates: Mapped[list] = mapped_column(default=list)  # [{"faq_id", "score"}]
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | dismissed | resolved
    resolved_faq_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Feedback(Base):
    """役に立った / 役に立たなかった on one answer."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(64))
    faq_id: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Preference(Base):
    """A remembered choice of one resident (e.g. garbage_area)."""

    __tablename__ = "preferences"
    __table_args__ = (UniqueConstraint("sender", "key", name="uq_preferences_sender_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(64), index=True)
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
