"""The gateway: FastAPI app factory (LINE webhook, widget API, admin console, open APIs)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot import admin as staff_console
from bot import api, errors
from bot.api import widget as web_widget
from bot.headers import SecurityHeadersMiddleware
from bot.limits import BodyLimitMiddleware, default_limits
from bot.line import routes as line_routes
from bot.privacy import install_log_masking
from bot.reminders import job as reminder_job
from bot.reports import upkeep as report_upkeep
from bot.run import retention
from bot.services import Services
from bot.settings import PLACEHOLDER_SECRETS, Settings, load_settings
from bot.storage.db import migrate

log = logging.getLogger(__name__)

# What the gateway serves and runs, installed in this order (each `install(app)` adds routes, middleware or
# start/stop hooks to `app.state.startup_hooks` / `shutdown_hooks`).
FEATURES: tuple[Callable[[FastAPI], None], ...] = (
    errors.install,  # 405 Allow, the documented 422 body, 503 while the database is away
    api.install,  # /healthz, chat, photo uploads, Open311, snowplow positions
    web_widget.install,  # widget.js, /chat, widget APIs, CORS (channels/web)
    staff_console.install,  # staff console /admin
    line_routes.install,  # POST /line/webhook, inbox worker start/stop hooks (channels/line)
    retention.install,  # daily personal-data retention job
    reminder_job.install,  # garbage-day / snowplow reminders over LINE, every 5 minutes
    report_upkeep.install,  # file spooled reports, resend failed status pushes (every minute)
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    install_log_masking()  # PII masked in our logs before anything is logged
    settings.ensure_dirs()
    migrate(settings.db_url)
    services = Services.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in app.state.startup_hooks:
            await hook(app)
        yield
        for hook in app.state.shutdown_hooks:
            await hook(app)
        await services.aclose()

    production = settings.env == "production"
    if not production and settings.secret_key.get_secret_value() in PLACEHOLDER_SECRETS:
        log.warning(
            "MADOGUCHI_ENV=%s with the placeholder MADOGUCHI_SECRET_KEY: for development only; a city's "
            "server needs MADOGUCHI_ENV=production and a random secret (docs/deploy.md)",
            settings.env,
        )
    app = FastAPI(
        title="madoguchi gateway",
        version="0.1.0",
        lifespan=lifespan,
        description="住民向け24時間窓口 (LINE / Web) のゲートウェイ API",
        # Swagger UI and ReDoc load their scripts from a CDN: never on the console's origin in production.
        docs_url=None if production else "/docs",
        redoc_url=None if production else "/redoc",
        openapi_url=None if production else "/openapi.json",
    )
    app.state.services = services
    app.state.settings = settings  # read by channels/web/ratelimit (channels may not import bot)
    app.state.startup_hooks = []
    app.state.shutdown_hooks = []
    app.add_middleware(BodyLimitMiddleware, limits=default_limits(settings))  # body size caps before reading
    for install in FEATURES:
        install(app)
    app.add_middleware(SecurityHeadersMiddleware, production=production)  # outermost: on every answer
    return app
