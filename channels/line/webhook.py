"""`POST /line/webhook`: size cap, signature on the raw bytes, then hand the events to a durable inbox.

A missing or wrong `X-Line-Signature` is 401 (the caller did not prove it is LINE); a signed body that is not a
webhook payload is 400.

The handler never talks to Rasa or LINE: it stores and answers 200 in milliseconds (LINE counts a webhook not
answered within 2 s as failed and may redeliver); a worker processes the inbox.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from channels.line import signature
from channels.line.events import LineEvent, WebhookBodyError, from_dict, parse_body

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000

Accept = Callable[[list[LineEvent]], Awaitable[int]]

# The handler reads the raw bytes itself (the signature covers them); this documents what it expects.
WEBHOOK_OPENAPI: dict[str, Any] = {
    "parameters": [
        {
            "name": "X-Line-Signature",
            "in": "header",
            "required": True,
            "description": "base64(HMAC-SHA256(channel secret, raw body))",
            "schema": {"type": "string"},
        }
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "destination": {"type": "string"},
                        "events": {"type": "array", "items": {"type": "object"}},
                    },
                    "required": ["events"],
                }
            }
        },
    },
}


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


def _declared_too_large(declared: str | None, cap: int) -> bool:
    if declared is None:
        return False
    try:
        return int(declared) > cap
    except ValueError:
        return True


async def _read_capped(request: Request, cap: int) -> bytes:
    if _declared_too_large(request.headers.get("content-length"), cap):
        raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise _TooLarge
    return bytes(body)


class WebhookHandler:
    """Verify, parse and store one webhook body; returns (HTTP status, JSON body). Shared by the FastAPI route
    (documentation) and the ASGI fast path that serves it.

    `channel_secret` is called per request so a misconfiguration shows as 503 with a clear log line.
    `accept` stores the events durably and returns how many were new (duplicates and redeliveries are absorbed
    there).
    """

    def __init__(
        self, channel_secret: Callable[[], str], accept: Accept, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.channel_secret = channel_secret
        self.accept = accept
        self.max_body_bytes = max_body_bytes

    def configured(self) -> bool:
        if self.channel_secret():
            return True
        log.error(
            "LINE webhook called but LINE_CHANNEL_SECRET is not configured; answering 503 "
            "(LINE_CHANNEL_SECRET を設定してください)"
        )
        return False

    async def handle(self, body: bytes, signature_header: str | None) -> tuple[int, dict[str, str]]:
        if not signature.verify(self.channel_secret(), body, signature_header):
            log.warning("LINE webhook with a missing or invalid signature refused (%d bytes)", len(body))
            return 401, {"detail": "invalid signature"}
        try:
            raw_events = parse_body(body)
        except WebhookBodyError as exc:
            log.warning("LINE webhook body refused: %s", exc)
            return 400, {"detail": "not a webhook body"}
        events: list[LineEvent] = []
        for raw in raw_events:
            try:
                events.append(from_dict(raw))
            except WebhookBodyError as exc:
                log.warning("LINE webhook event skipped: %s", exc)
        if (
            raw_events and not events
        ):  # nothing usable at all: say so (one bad event among good ones is skipped)
            return 400, {"detail": "no valid event"}
        if events:
            try:
                new = await self.accept(events)
            except Exception as exc:  # not stored: say so, and LINE redelivers (same webhookEventId)
                log.error(
                    "LINE webhook: %d events not stored (%s); answering 503", len(events), type(exc).__name__
                )
                return 503, {"detail": "temporarily unavailable"}
            log.debug("LINE webhook: %d events, %d new", len(events), new)
        return 200, {}

    def too_large(self) -> tuple[int, dict[str, str]]:
        log.warning("LINE webhook body over %d bytes refused", self.max_body_bytes)
        return 413, {"detail": "body too large"}


NOT_CONFIGURED = (503, {"detail": "LINE channel is not configured"})


def make_router(handler: WebhookHandler, path: str = "/line/webhook") -> APIRouter:
    """The documented webhook route over `handler` (mount `WebhookFastPath` with the same handler to serve it
    ahead of the app's middleware)."""
    router = APIRouter(tags=["line"])

    @router.post(
        path,
        include_in_schema=True,
        summary="LINE Messaging API webhook",
        responses={
            400: {"description": "signed, but not a webhook body (or not one usable event in it)"},
            401: {"description": "missing or invalid X-Line-Signature"},
            413: {"description": "body too large"},
            503: {"description": "LINE channel secret not configured, or the events could not be stored"},
        },
        openapi_extra=WEBHOOK_OPENAPI,
    )
    async def line_webhook(request: Request) -> Response:
        if not handler.configured():
            status, content = NOT_CONFIGURED
            return JSONResponse(status_code=status, content=content)
        try:
            body = await _read_capped(request, handler.max_body_bytes)
        except _TooLarge:
            status, content = handler.too_large()
        else:
            status, content = await handler.handle(body, request.headers.get("x-line-signature"))
        return JSONResponse(status_code=status, content=content)

    return router


class WebhookFastPath:
    """ASGI middleware that serves `POST <path>` straight from `handler`, ahead of the app's other middleware
    and routing (a burst of webhooks must be acknowledged in milliseconds; see docs/operations.md). Every other
    request, and anything but a POST to exactly that path, goes to the app unchanged."""

    def __init__(self, app: ASGIApp, handler: WebhookHandler, path: str = "/line/webhook") -> None:
        self.app = app
        self.handler = handler
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if not self.handler.configured():
            status, content = NOT_CONFIGURED
        elif _declared_too_large(headers.get("content-length"), self.handler.max_body_bytes):
            status, content = self.handler.too_large()
        else:
            try:
                body = await self._body(receive)
            except _TooLarge:
                status, content = self.handler.too_large()
            except _Disconnected:
                return  # nobody to answer; nothing was stored
            else:
                status, content = await self.handler.handle(body, headers.get("x-line-signature"))
        payload = json.dumps(content).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _body(self, receive: Receive) -> bytes:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            body += message.get("body", b"")
            if len(body) > self.handler.max_body_bytes:
                raise _TooLarge
            if not message.get("more_body", False):
                return bytes(body)
