"""Survey tables: the surveys staff build (one row per version), residents' responses, and the satisfaction
check's asks and scores.

- ``surveys``: a definition (``bot.surveys.definition.SurveyDef.to_json``), its status (draft → published →
  closed) and version chain (``previous_id``). ``respondent_salt`` keys the respondent hash of an anonymous
  survey.
- ``survey_responses``: one row per survey and respondent (UNIQUE), the answers so far (``{"0": value}``; a
  skipped optional question is ``null``), the next question to ask, and the age group and area of the
  resident's profile at answer time (cleared when the profile is deleted). ``respondent`` is the resident's
  pseudonym for a linked survey and a keyed hash of (survey, pseudonym) for an anonymous one: it never joins
  to any other table.
- ``satisfaction_asks``: when each resident was last asked the satisfaction question, and answered it.
- ``satisfaction_scores``: the 1–5 answers, for the dashboard's trend (no pseudonym kept).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.storage.db import Base, utcnow

STATUSES = ("draft", "published", "closed")
CHANNELS = ("line", "web")


def new_salt() -> str:
    return secrets.token_hex(16)


class SurveyRow(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    respondent_salt: Mapped[str] = mapped_column(String(64), default=new_salt)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SurveyResponseRow(Base):
    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "respondent", name="uq_survey_responses_survey_respondent"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey_id: Mapped[int] = mapped_column(Integer, index=True)
    respondent: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(8))
    answers: Mapped[dict] = mapped_column(default=dict)
    next_question: Mapped[int] = mapped_column(Integer, default=0)
    age_group: Mapped[str | None] = mapped_column(String(16), nullable=True)
    area: Mapped[str | None] = mapped_column(String(128), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class SatisfactionAsk(Base):
    __tablename__ = "satisfaction_asks"

    sender: Mapped[str] = mapped_column(String(64), primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # one score per ask


class SatisfactionScore(Base):
    __tablename__ = "satisfaction_scores"
    __table_args__ = (Index("ix_satisfaction_scores_created", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(8))
    score: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def respondent_of(row: SurveyRow, sender: str) -> str:
    """What a response row stores for ``sender``: the pseudonym itself (linked survey) or, for an anonymous
    survey, an HMAC of (survey id, pseudonym) under the survey's own salt."""
    if not bool((row.definition or {}).get("anonymous")):
        return sender
    digest = hmac.new(row.respondent_salt.encode(), f"{row.id}:{sender}".encode(), hashlib.sha256)
    return "anon-" + digest.hexdigest()[:40]


def response_of(session: Session, row: SurveyRow, sender: str) -> SurveyResponseRow | None:
    return session.scalar(
        select(SurveyResponseRow).where(
            SurveyResponseRow.survey_id == row.id, SurveyResponseRow.respondent == respondent_of(row, sender)
        )
    )


def responses(session: Session, survey_id: int) -> list[SurveyResponseRow]:
    return list(
        session.scalars(
            select(SurveyResponseRow)
            .where(SurveyResponseRow.survey_id == survey_id)
            .order_by(SurveyResponseRow.id)
        )
    )


def has_responses(session: Session, survey_id: int) -> bool:
    return (
        session.scalar(select(SurveyResponseRow.id).where(SurveyResponseRow.survey_id == survey_id).limit(1))
        is not None
    )


def list_surveys(session: Session) -> list[SurveyRow]:
    return list(session.scalars(select(SurveyRow).order_by(SurveyRow.id.desc())))
