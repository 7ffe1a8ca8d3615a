"""The gateway's HTTP APIs: health, chat, widget, photo uploads, Open311 (GeoReport v2), snowplow positions, and
the resident side of surveys (web form, widget profile and satisfaction check)."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from bot.api import chat, health, open311, profile, satisfaction, snowplow, surveys, uploads
from channels.web import ratelimit


def install(app: FastAPI) -> None:
    """Mount /healthz and the JSON APIs (the widget's own routes: `bot.api.widget.install`)."""
    limited = ratelimit.TOO_MANY_RESPONSES
    app.include_router(health.router)
    app.include_router(chat.router, dependencies=[Depends(ratelimit.chat_rate_limit)], responses=limited)
    app.include_router(  # widget photo upload
        uploads.router, dependencies=[Depends(ratelimit.ip_rate_limit)], responses=limited
    )
    app.include_router(open311.router)  # GeoReport v2
    app.include_router(snowplow.router)
    surveys.install(app)  # /surveys (the public form) and the widget's list; rate-limited per IP
    app.include_router(profile.router)  # the widget's 「登録情報」
    app.include_router(satisfaction.router)  # the widget's satisfaction check
