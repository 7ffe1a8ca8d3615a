"""Request limits: body sizes (ASGI middleware, every path) and the photo upload's own rate limit.

Two checks, both per path prefix:

* a declared ``Content-Length`` over the limit is refused with 413 at once, before a byte of the body is read;
* a body without (or lying about) its length is counted while the application streams it; the first chunk
  that crosses the limit stops the read with 413 (`BodyTooLarge`, an `HTTPException`, so FastAPI's own
  exception handling answers it even when a route reads the body itself).

A malformed ``Content-Length`` is refused with 400. Limits are generous for their purpose: the chat API needs
a few KB, the LINE webhook at most 1 MB, photo uploads the photo limit plus the multipart envelope, the staff
console's FAQ import a spreadsheet.

Photo uploads also have their own rate limit (`check_upload_rate`): a photo costs about a CPU-second to decode and
megabytes to store, so a resident (and an address) may upload only a few a minute
(`Settings.upload_rate_per_minute`), in buckets of the widget's `RateLimiter`, apart from the widget's looser
per-address bucket for its helper endpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.settings import Settings
from channels.asgi import send_json
from channels.web.ratelimit import RateLimiter, client_ip, too_many

__all__ = [
    "BodyLimitMiddleware",
    "BodyTooLarge",
    "UploadLimits",
    "check_upload_rate",
    "default_limits",
    "upload_limits",
]

KB = 1024
MB = 1024 * KB
DETAIL_413 = "送信されたデータが大きすぎます。(request body too large)"
DETAIL_400 = "Content-Length が正しくありません。(invalid Content-Length)"


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413, detail=DETAIL_413)


def default_limits(settings: Settings) -> dict[str, int]:
    """Per-path-prefix limits (the longest matching prefix wins; "" is the default)."""
    photo = settings.photo_max_bytes
    return {
        "": 1 * MB,
        "/api/v1/chat": 64 * KB,
        "/api/v1/feedback": 16 * KB,
        "/api/v1/furigana": 32 * KB,  # the resident's text, in a POST body
        "/api/v1/uploads": photo + 1 * MB,
        "/line/webhook": 1 * MB,
        "/admin": 20 * MB,
        "/open311": 1 * MB,
    }


async def _answer(send: Send, status: int, detail: str) -> None:
    await send_json(send, status, {"detail": detail}, close=True)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: Mapping[str, int]) -> None:
        self.app = app
        # longest prefix first
        self.limits = sorted(limits.items(), key=lambda kv: len(kv[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return 1 * MB

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared: bytes | None = None
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                declared = value
                break
        if declared is not None:
            try:
                length = int(declared)
                if length < 0:
                    raise ValueError
            except ValueError:
                await _answer(send, 400, DETAIL_400)
                return
            if length > limit:
                await _answer(send, 413, DETAIL_413)
                return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _answer(send, 413, DETAIL_413)


# --- photo uploads' rate limit -------------------------------------------------------------------------------

UPLOAD_IP_FACTOR = 2  # residents behind one address (the city hall's Wi-Fi, a carrier's NAT) share its bucket


@dataclass
class UploadLimits:
    sender: RateLimiter  # per resident key
    ip: RateLimiter  # per client address


def upload_limits(request: Request) -> UploadLimits:
    """The app's upload limiters, made on first use from `settings.upload_rate_per_minute`."""
    state = request.app.state
    limits = getattr(state, "upload_rate_limits", None)
    if limits is None:
        rate = int(state.settings.upload_rate_per_minute)
        limits = UploadLimits(sender=RateLimiter(rate), ip=RateLimiter(rate * UPLOAD_IP_FACTOR))
        state.upload_rate_limits = limits
    return limits


def check_upload_rate(request: Request, resident_key: str) -> None:
    """Take one upload from the address's bucket, then from the resident's; 429 with a Japanese message and
    ``Retry-After`` when either is empty (before the photo is decoded)."""
    limits = upload_limits(request)
    wait = limits.ip.check(client_ip(request)) or limits.sender.check(resident_key)
    if wait:
        raise too_many(wait, "写真が続けて送られたため、受け付けを少し止めています。", "too many uploads")
