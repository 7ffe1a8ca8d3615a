"""The gateway: FastAPI app factory (LINE webhook, widget API, admin console, open APIs)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from bot import admin as staff_console
from bot.api import chat, open311, snowplow, uploads
from bot.api import widget as web_widget
from bot.chat import ChatService
from bot.limits import BodyLimitMiddleware, default_limits
from bot.line import worker as line_worker
from bot.privacy import install_log_masking
from bot.rasa import RasaClient
from bot.reminders import job as reminder_job
from bot.reports import upkeep as report_upkeep
from bot.run import retention
from bot.settings import Settings, load_settings
from bot.storage.db import make_engine, migrate, session_factory
from channels.web import ratelimit

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    install_log_masking()  # PII masked in our logs before anything is logged
    settings.ensure_dirs()
    migrate(settings.db_url)
    engine = make_engine(settings.db_url)
    factory = session_factory(engine)
    rasa = RasaClient(settings.rasa_url_list, timeout_s=settings.rasa_timeout_s)
    # one client for /healthz's probes: a new one per probe built a TLS context each time, ~35 ms of CPU on the
    # event loop per monitoring poll (measured with cProfile while a burst of LINE webhooks was arriving)
    probe = httpx.AsyncClient(timeout=2.0)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in app.state.startup_hooks:
            await hook(app)
        yield
        for hook in app.state.shutdown_hooks:
            await hook(app)
        await rasa.aclose()
        await probe.aclose()
        engine.dispose()

    app = FastAPI(
        title="madoguchi gateway",
        version="0.1.0",
        lifespan=lifespan,
        description="住民向け24時間窓口 (LINE / Web) のゲートウェイ API",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = factory
    app.state.rasa = rasa
    app.state.chat = ChatService(
        factory, rasa, settings.secret_key.get_secret_value(), contact=settings.contact
    )
    app.state.startup_hooks = []
    app.state.shutdown_hooks = []
    app.add_middleware(BodyLimitMiddleware, limits=default_limits(settings))  # body size caps before reading

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:  # Starlette names only the first matching route's methods in `Allow`
            headers = {**(exc.headers or {}), "Allow": allowed_methods(request)}
            exc = StarletteHTTPException(405, exc.detail, headers)
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return JSONResponse(
            status_code=422,
            content={
                "detail": "リクエストの形式が正しくありません。(invalid request body)",
                "errors": problems,
            },
        )

    @app.exception_handler(sa_exc.OperationalError)
    @app.exception_handler(sa_exc.InterfaceError)
    @app.exception_handler(sa_exc.TimeoutError)
    async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        """The database is restarting or unreachable: a clear, retryable 503 instead of a stack trace."""
        log.error("%s %s: database unavailable (%s)", request.method, request.url.path, type(exc).__name__)
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": "5"},
            content={
                "detail": "ただいまシステムが一時的に利用できません。少し時間をおいてからもう一度お試しください。"
                "(database temporarily unavailable)"
            },
        )

    @app.get("/healthz", tags=["ops"], responses={503: {"description": "Rasa or the action server is down"}})
    async def healthz() -> JSONResponse:
        """200 only when Rasa and the action server both answer."""
        rasa_ok = await rasa.healthy()
        try:
            actions_ok = (await probe.get(f"{settings.actions_url}/health")).status_code == 200
        except httpx.HTTPError:
            actions_ok = False
        ok = rasa_ok and actions_ok
        content: dict[str, object] = {
            "status": "ok" if ok else "degraded",
            "rasa": rasa_ok,
            "actions": actions_ok,
        }
        if settings.line_worker == "process":
            # reported, never failing this check: without the worker LINE events wait in the inbox, while a
            # failing gateway check would stop the webhook from storing them at all
            content["line_worker"] = await _line_worker_ok(probe, settings.line_worker_port)
        return JSONResponse(status_code=200 if ok else 503, content=content)

    limited = ratelimit.TOO_MANY_RESPONSES
    app.include_router(chat.router, dependencies=[Depends(ratelimit.chat_rate_limit)], responses=limited)
    app.include_router(  # widget photo upload
        uploads.router, dependencies=[Depends(ratelimit.ip_rate_limit)], responses=limited
    )
    app.include_router(open311.router)  # GeoReport v2
    app.include_router(snowplow.router)
    web_widget.install(app)  # widget.js, /chat, widget APIs, CORS (channels/web)
    staff_console.install(app)  # staff console /admin
    line_worker.install(app)  # POST /line/webhook, inbox worker start/stop hooks (channels/line)
    retention.install(app)  # daily personal-data retention job
    reminder_job.install(app)  # garbage-day / snowplow reminders over LINE, every 5 minutes
    report_upkeep.install(app)  # file spooled reports, resend failed status pushes (every minute)
    document_invalid_request(app)
    return app


async def _line_worker_ok(probe: httpx.AsyncClient, port: int) -> bool:
    try:
        return (await probe.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
    except httpx.HTTPError:
        return False


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (a path can have one route per method)."""
    served = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            served.append(method)
    return ", ".join(served)


# What `_invalid` above really answers with 422 (FastAPI would document its own default shape).
INVALID_REQUEST_SCHEMA = {
    "title": "InvalidRequest",
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                },
                "required": ["loc", "msg"],
            },
        },
    },
    "required": ["detail", "errors"],
}


def document_invalid_request(app: FastAPI) -> None:
    """Make the OpenAPI schema describe the 422 body the gateway sends, not FastAPI's default one."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schemas = generate().get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = INVALID_REQUEST_SCHEMA
                schemas.pop("ValidationError", None)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
