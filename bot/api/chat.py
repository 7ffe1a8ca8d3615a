"""The chat API used by the web widget and integrators (`POST /api/v1/chat`). Keep it stable."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from bot.chat import ChatInputError, ChatResult
from bot.deps import ChatDep

router = APIRouter(prefix="/api/v1", tags=["chat"])


# strict: a JSON `false` is not the number 0, nor `"1.5"` a number (the schema says so).
class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str | None = Field(default=None, max_length=200)


class ChatMetadata(BaseModel):
    """Optional turn data from the widget: photos already stored via `POST /api/v1/uploads`, a position."""

    model_config = ConfigDict(extra="forbid", strict=True)

    photo_ids: list[str] | None = Field(default=None, max_length=3)
    location: LocationIn | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    sender_id: str = Field(min_length=1, max_length=128, description="Opaque id of the resident's session")
    text: str = Field(min_length=1, max_length=1000, description="What the resident wrote")
    metadata: ChatMetadata | None = None


class QuickReplyOut(BaseModel):
    label: str
    text: str


class ReplyOut(BaseModel):
    text: str
    quick_replies: list[QuickReplyOut] = []


class ChatResponse(BaseModel):
    replies: list[ReplyOut]
    faq_id: str | None = Field(description="FAQ entry whose answer was given, else null")
    candidates: list[str] = Field(description="FAQ ids offered as choices, else empty")
    intent: str | None
    fallback: bool = Field(description="True when the bot said it could not answer")
    link: dict | None = None
    report_id: str | None = None


def to_response(result: ChatResult) -> ChatResponse:
    return ChatResponse(
        replies=[
            ReplyOut(
                text=r.text,
                quick_replies=[QuickReplyOut(label=q.label, text=q.text) for q in r.quick_replies],
            )
            for r in result.replies
        ],
        faq_id=result.faq_id,
        candidates=result.candidates,
        intent=result.intent,
        fallback=result.fallback,
        link=result.link,
        report_id=result.report_id,
    )


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={400: {"description": "bad input"}, 422: {"description": "invalid body"}},
)
async def chat(body: ChatRequest, service: ChatDep) -> ChatResponse:
    """Send one message as a resident and get the bot's replies."""
    try:
        extra = body.metadata.model_dump(exclude_none=True) if body.metadata else None
        result = await service.handle("web", body.sender_id, body.text, extra)
    except ChatInputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return to_response(result)
