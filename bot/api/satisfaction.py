"""The satisfaction check in the web widget: after an answer the widget asks whether the question is due
(`POST /api/v1/satisfaction/due`: every 10th conversation, never twice in 7 days — `bot.surveys.satisfaction`);
when it is, the resident gets one optional 1–5 question, whose answer `POST /api/v1/satisfaction` records.

A score is taken only with the ticket of that ask (an HMAC of the resident key and the moment it was asked,
valid `TICKET_TTL`): recording it counts as a new ask, so the same ticket never counts twice and a script
cannot pour scores into the dashboard's trend.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bot.deps import ChatDep, ServicesDep
from bot.messages import for_settings
from bot.storage.db import transaction
from bot.storage.surveys import SatisfactionAsk
from bot.surveys import satisfaction
from bot.surveys.definition import SurveyError
from channels.web.ratelimit import TOO_MANY_RESPONSES, ip_rate_limit

router = APIRouter(
    prefix="/api/v1/satisfaction",
    tags=["chat"],
    dependencies=[Depends(ip_rate_limit)],
    responses={400: {"description": "body is not JSON text"}, **TOO_MANY_RESPONSES},
)
TICKET_TTL = timedelta(days=1)
STALE = "この質問の受付は終わりました。ありがとうございました。(the question is no longer open)"


class DueIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    sender_id: str = Field(min_length=16, max_length=128)


class ChoiceOut(BaseModel):
    score: int
    label: str


class DueOut(BaseModel):
    due: bool
    question: str | None = None
    choices: list[ChoiceOut] = []
    ticket: str | None = Field(default=None, description="Send it back with the score")


def _whole_number(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


class ScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    sender_id: str = Field(min_length=16, max_length=128)
    # JSON Schema's integer includes 1.0; a string or a fraction is still refused
    score: Annotated[int, BeforeValidator(_whole_number)] = Field(ge=1, le=5)
    ticket: str = Field(min_length=1, max_length=128)


class ThanksOut(BaseModel):
    message: str


def ticket(secret: str, key: str, asked_at: datetime) -> str:
    body = f"satisfaction:{key}:{asked_at.replace(tzinfo=None).isoformat()}"
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:40]


@router.post("/due", response_model=DueOut)
async def due(body: DueIn, chat: ChatDep, services: ServicesDep) -> DueOut:
    """Whether to ask now; when so, the ask is recorded (it will not come again for 7 days)."""
    key = chat.resident_key("web", body.sender_id)
    secret = services.settings.secret_key.get_secret_value()
    now = datetime.now(UTC)

    def check() -> str | None:
        with transaction(services.factory) as session:
            if not satisfaction.satisfaction_due(session, key, now):
                return None
            satisfaction.mark_asked(session, key, now)
            asked = session.get(SatisfactionAsk, key)
            return ticket(secret, key, asked.asked_at) if asked is not None else None

    issued = await anyio.to_thread.run_sync(check)
    if issued is None:
        return DueOut(due=False)
    labels = satisfaction.SCORE_LABELS
    return DueOut(
        due=True,
        question=for_settings(services.settings).text("satisfaction_web_question"),
        choices=[ChoiceOut(score=s, label=f"{s} {labels[s]}") for s in sorted(labels)],
        ticket=issued,
    )


@router.post("", response_model=ThanksOut, responses={409: {"description": "no open question"}})
async def record(body: ScoreIn, chat: ChatDep, services: ServicesDep) -> ThanksOut:
    """Record the resident's 1–5 answer to the question they were just asked."""
    key = chat.resident_key("web", body.sender_id)
    secret = services.settings.secret_key.get_secret_value()
    now = datetime.now(UTC)

    def store() -> None:
        with transaction(services.factory) as session:
            asked = session.get(SatisfactionAsk, key)
            if (
                asked is None
                or now.replace(tzinfo=None) - asked.asked_at > TICKET_TTL
                or not hmac.compare_digest(body.ticket, ticket(secret, key, asked.asked_at))
            ):
                raise HTTPException(status_code=409, detail=STALE)
            try:
                satisfaction.record_satisfaction(session, key, body.score, "web", now)
            except SurveyError as exc:
                raise HTTPException(status_code=400, detail=exc.message) from exc

    await anyio.to_thread.run_sync(store)
    return ThanksOut(message=for_settings(services.settings).text("satisfaction_web_thanks"))
