"""`POST /line/webhook`: size cap, signature on the raw bytes, then hand the events to a durable inbox.

A missing or wrong `X-Line-Signature` is 401 (the caller did not prove it is LINE); a signed body that is not a
webhook payload is 400.

The handler never talks to Rasa or LINE: it stores and answers 200 in milliseconds (LINE counts a webhook not
answered within 2 s as failed and may redeliver); a worker processes the inbox.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from channels.asgi import send_json
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


ReadBody = Callable[[], Awaitable[bytes]]  # raises _TooLarge past the cap (or _Disconnected)


def _declared_too_large(declared: str | None, cap: int) -> bool:
    if declared is None:
        return False
    try:
        return int(declared) > cap
    except ValueError:
        return True


async def _collect(chunks: AsyncIterator[bytes], cap: int) -> bytes:
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > cap:
            raise _TooLarge
    return bytes(body)


class WebhookHandler:
    """Verify, parse and store one webhook request; answers (HTTP status, JSON body). Shared by the FastAPI
    route (documentation) and the ASGI fast path that serves it, which differ only in how they read the body.

    `channel_secret` is called once per request so a misconfiguration shows as 503 with a clear log line.
    `accept` stores the events durably and returns how many were new (duplicates and redeliveries are absorbed
    there).
    """

    def __init__(
        self, channel_secret: Callable[[], str], accept: Accept, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.channel_secret = channel_secret
        self.accept = accept
        self.max_body_bytes = max_body_bytes

    async def respond(
        self, content_length: str | None, signature_header: str | None, read_body: ReadBody
    ) -> tuple[int, dict[str, str]]:
        """Configuration, size cap (declared, then counted while reading), then `handle`."""
        secret = self.channel_secret()
        if not secret:
            log.error(
                "LINE webhook called but LINE_CHANNEL_SECRET is not configured; answering 503 "
                "(LINE_CHANNEL_SECRET を設定してください)"
            )
            return NOT_CONFIGURED
        if _declared_too_large(content_length, self.max_body_bytes):
            return self._too_large()
        try:
            body = await read_body()
        except _TooLarge:
            return self._too_large()
        return await self.handle(body, signature_header, secret)

    async def handle(
        self, body: bytes, signature_header: str | None, secret: str
    ) -> tuple[int, dict[str, str]]:
        if not signature.verify(secret, body, signature_header):
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

    def _too_large(self) -> tuple[int, dict[str, str]]:
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
        status, content = await handler.respond(
            request.headers.get("content-length"),
            request.headers.get("x-line-signature"),
            lambda: _collect(request.stream(), handler.max_body_bytes),
        )
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
        content_length = signature_header = None
        for name, value in scope.get("headers", []):
            name = name.lower()
            if name == b"content-length":
                content_length = value.decode("latin-1")
            elif name == b"x-line-signature":
                signature_header = value.decode("latin-1")
        try:
            status, content = await self.handler.respond(
                content_length,
                signature_header,
                lambda: _collect(_chunks(receive), self.handler.max_body_bytes),
            )
        except _Disconnected:
            return  # nobody to answer; nothing was stored
        await send_json(send, status, content)


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return
