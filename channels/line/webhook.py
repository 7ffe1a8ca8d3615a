"""`POST /line/webhook`: size cap, signature on the raw bytes, then hand the events to a durable inbox.

A missing or wrong `X-Line-Signature` is 401 (the caller did not prove it is LINE); a signed body that is not a
webhook payload is 400.

The handler never talks to Rasa or LINE: it stores and answers 200 in milliseconds (LINE counts a webhook not
answered within 2 s as failed and may redeliver); a worker processes the inbox.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

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


async def _read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > cap:
                raise _TooLarge
        except ValueError:
            raise _TooLarge from None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise _TooLarge
    return bytes(body)


def make_router(
    *,
    channel_secret: Callable[[], str],
    accept: Accept,
    path: str = "/line/webhook",
    max_body_bytes: int = MAX_BODY_BYTES,
) -> APIRouter:
    """A router whose webhook verifies, parses and passes the events to `accept` (which stores them durably).

    `channel_secret` is called per request so a misconfiguration shows as 503 with a clear log line.
    `accept` returns how many events were new (duplicates and redeliveries are absorbed there).
    """
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
        secret = channel_secret()
        if not secret:
            log.error(
                "LINE webhook called but LINE_CHANNEL_SECRET is not configured; answering 503 "
                "(LINE_CHANNEL_SECRET を設定してください)"
            )
            return JSONResponse(status_code=503, content={"detail": "LINE channel is not configured"})
        try:
            body = await _read_capped(request, max_body_bytes)
        except _TooLarge:
            log.warning("LINE webhook body over %d bytes refused", max_body_bytes)
            return JSONResponse(status_code=413, content={"detail": "body too large"})
        if not signature.verify(secret, body, request.headers.get("x-line-signature")):
            log.warning("LINE webhook with a missing or invalid signature refused (%d bytes)", len(body))
            return JSONResponse(status_code=401, content={"detail": "invalid signature"})
        try:
            raw_events = parse_body(body)
        except WebhookBodyError as exc:
            log.warning("LINE webhook body refused: %s", exc)
            return JSONResponse(status_code=400, content={"detail": "not a webhook body"})
        events: list[LineEvent] = []
        for raw in raw_events:
            try:
                events.append(from_dict(raw))
            except WebhookBodyError as exc:
                log.warning("LINE webhook event skipped: %s", exc)
        if (
            raw_events and not events
        ):  # nothing usable at all: say so (one bad event among good ones is skipped)
            return JSONResponse(status_code=400, content={"detail": "no valid event"})
        if events:
            try:
                new = await accept(events)
            except Exception as exc:  # not stored: say so, and LINE redelivers (same webhookEventId)
                log.error(
                    "LINE webhook: %d events not stored (%s); answering 503", len(events), type(exc).__name__
                )
                return JSONResponse(status_code=503, content={"detail": "temporarily unavailable"})
            log.debug("LINE webhook: %d events, %d new", len(events), new)
        return JSONResponse(status_code=200, content={})

    return router
