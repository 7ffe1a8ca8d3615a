"""The gateway's error answers: 405 with every allowed method, a documented 422 body, 503 while the database
is unavailable."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = logging.getLogger(__name__)

DATABASE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:  # Starlette names only the first matching route's methods in `Allow`
        headers = {**(exc.headers or {}), "Allow": allowed_methods(request)}
        exc = StarletteHTTPException(405, exc.detail, headers)
    return await http_exception_handler(request, exc)


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
    return JSONResponse(
        status_code=422,
        content={
            "detail": "リクエストの形式が正しくありません。(invalid request body)",
            "errors": problems,
        },
    )


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
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


def install(app: FastAPI) -> None:
    """Register the handlers and make the OpenAPI schema describe the 422 body they send."""
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, database_unavailable)
    document_invalid_request(app)


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (a path can have one route per method)."""
    served = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            served.append(method)
    return ", ".join(served)


# What `invalid_request` really answers with 422 (FastAPI would document its own default shape).
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
