"""The web widget's edge: the script (`/widget.js`), the standalone page (`/chat`) and the small APIs the
widget needs besides the chat API itself (`/api/v1/chat/history`, `/feedback`, `/widget-config`,
`/furigana`).

`install(app)` registers all of it and limits CORS to `settings.cors_origins` (the script itself is public:
a `<script>` tag needs no CORS). The rate limit of `POST /api/v1/chat` is `channels.web.ratelimit`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field

from bot.deps import ChatDep, FactoryDep, ServicesDep, SettingsDep
from bot.services import services_of
from bot.storage import conversations
from bot.storage.db import transaction
from channels.web import furigana
from channels.web.ratelimit import TOO_MANY_RESPONSES, ip_rate_limit
from knowledge.city import CityProfile

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parents[2] / "channels" / "web"
STATIC = HERE / "static"
CSS_PLACEHOLDER = '"__MADOGUCHI_WIDGET_CSS__"'
HISTORY_LIMIT = 50
# The standalone page loads nothing but the widget; styles are inlined into its shadow root.
CHAT_PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' blob: data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)

router = APIRouter(tags=["web widget"])
templates = Jinja2Templates(directory=str(HERE / "templates"))
RateLimited = [Depends(ip_rate_limit)]


# --- the script ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    etag: str


@lru_cache(maxsize=1)
def widget_asset() -> Asset:
    """widget.js with widget.css inlined (as a JS string) so the widget is one request."""
    script = (STATIC / "widget.js").read_text(encoding="utf-8")
    css = (STATIC / "widget.css").read_text(encoding="utf-8")
    if CSS_PLACEHOLDER not in script:
        raise RuntimeError("widget.js lost its CSS placeholder")
    body = script.replace(CSS_PLACEHOLDER, json.dumps(css, ensure_ascii=False)).encode("utf-8")
    return Asset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"',
    )


@router.get("/widget.js", include_in_schema=False)
async def widget_js(request: Request) -> Response:
    asset = widget_asset()
    headers = {
        "Cache-Control": "public, max-age=300",
        "ETag": asset.etag,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    media = "text/javascript; charset=utf-8"
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(asset.gzipped, media_type=media, headers={**headers, "Content-Encoding": "gzip"})
    return Response(asset.body, media_type=media, headers=headers)


@router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
async def chat_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The widget as a page of its own (for a link from the city's website, QR codes, kiosks)."""
    return templates.TemplateResponse(
        request,
        "chat.html",
        {"city": city_name(str(settings.city_data_dir))},
        headers={"Content-Security-Policy": CHAT_PAGE_CSP},
    )


# --- configuration ------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def city_name(city_dir: str) -> str:
    try:
        return CityProfile.load(Path(city_dir) / "city.json").name
    except Exception as exc:  # the widget still works without a name
        log.warning("city.json unreadable for the widget: %s", type(exc).__name__)
        return ""


class ContactOut(BaseModel):
    counter: str
    phone: str
    hours: str


class WidgetConfig(BaseModel):
    city: str = Field(description="The city's name for the widget's title (empty when unknown)")
    contact: ContactOut = Field(description="Where to reach a person (「担当者と話したい」)")


@router.get("/api/v1/widget-config", response_model=WidgetConfig, tags=["chat"])
async def widget_config(settings: SettingsDep, response: Response) -> WidgetConfig:
    """What the widget shows besides the conversation: the city's name and the human counter."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return WidgetConfig(
        city=city_name(str(settings.city_data_dir)),
        contact=ContactOut(
            counter=settings.contact_counter, phone=settings.contact_phone, hours=settings.contact_hours
        ),
    )


# --- history and feedback -----------------------------------------------------------------------------


class HistoryMessage(BaseModel):
    role: str = Field(description="`user` (the resident) or `bot`")
    text: str = Field(description="As stored: personal data masked")
    faq_id: str | None = None
    at: str = Field(description="UTC time, ISO 8601")


class HistoryOut(BaseModel):
    messages: list[HistoryMessage]


SenderQuery = Annotated[
    str,
    Query(
        min_length=16, max_length=128, description="The widget's random session id (at least 16 characters)"
    ),
]


@router.get(
    "/api/v1/chat/history",
    response_model=HistoryOut,
    tags=["chat"],
    dependencies=RateLimited,
    responses=TOO_MANY_RESPONSES,
)
async def chat_history(
    sender_id: SenderQuery, chat: ChatDep, factory: FactoryDep, response: Response
) -> HistoryOut:
    """The last messages of this web resident (under its pseudonymous key), oldest first, as stored (masked)."""
    resident_key = chat.resident_key("web", sender_id)

    def load() -> list[HistoryMessage]:
        with transaction(factory) as session:
            return [
                HistoryMessage(
                    role="user" if m.direction == "in" else "bot",
                    text=m.text,
                    faq_id=m.faq_id,
                    at=_utc(m.created_at).isoformat(),
                )
                for m in conversations.history(session, resident_key, limit=HISTORY_LIMIT)
            ]

    response.headers["Cache-Control"] = "no-store"
    return HistoryOut(messages=await anyio.to_thread.run_sync(load))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    sender_id: str = Field(min_length=1, max_length=128)
    faq_id: str = Field(min_length=1, max_length=80)
    helpful: bool


@router.post(
    "/api/v1/feedback",
    status_code=204,
    tags=["chat"],
    dependencies=RateLimited,
    responses={400: {"description": "body is not JSON text"}, **TOO_MANY_RESPONSES},
)
async def feedback(body: FeedbackIn, chat: ChatDep, factory: FactoryDep) -> Response:
    """役に立った / 役に立たなかった on an FAQ answer, stored under the resident's pseudonymous key."""
    resident_key = chat.resident_key("web", body.sender_id)

    def store() -> None:
        with transaction(factory) as session:
            conversations.add_feedback(
                session, channel="web", sender=resident_key, faq_id=body.faq_id, helpful=body.helpful
            )

    await anyio.to_thread.run_sync(store)
    return Response(status_code=204)


# --- furigana -----------------------------------------------------------------------------------------


class SegmentOut(BaseModel):
    text: str
    reading: str | None = Field(description="Hiragana for a kanji run, else null")


class FuriganaIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(max_length=furigana.MAX_TEXT, description="The text shown in the widget")


class FuriganaOut(BaseModel):
    segments: list[SegmentOut]


@router.post(
    "/api/v1/furigana",
    response_model=FuriganaOut,
    tags=["chat"],
    dependencies=RateLimited,
    responses={400: {"description": "body is not JSON text"}, **TOO_MANY_RESPONSES},
)
async def furigana_readings(body: FuriganaIn, response: Response, services: ServicesDep) -> FuriganaOut:
    """Text cut into segments with hiragana readings for kanji, for `<ruby>` furigana in the widget.

    A POST, answered `no-store`: the text is a resident's conversation, which must not end up in URLs (proxy
    and server logs, browser history) or in shared caches.
    """
    read = services.reader.read
    parts: list[dict[str, Any]] = await anyio.to_thread.run_sync(furigana.segments, body.text, read)
    response.headers["Cache-Control"] = "no-store"
    return FuriganaOut(segments=[SegmentOut(text=str(p["text"]), reading=p["reading"]) for p in parts])


# --- wiring -------------------------------------------------------------------------------------------


def cors_origins(value: str) -> list[str]:
    return [o.strip().rstrip("/") for o in value.split(",") if o.strip()]


def install(app: FastAPI) -> None:
    """Register the widget's routes and CORS for the configured city websites (call before start-up)."""
    app.include_router(router)
    origins = cors_origins(services_of(app).settings.cors_origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Content-Type"],
            expose_headers=["Retry-After"],
            allow_credentials=False,
            max_age=600,
        )
