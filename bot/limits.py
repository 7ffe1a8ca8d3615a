"""Request body size limits, enforced before a body is read whole (ASGI middleware).

Two checks, both per path prefix:

* a declared ``Content-Length`` over the limit is refused with 413 at once, before a byte of the body is read;
* a body without (or lying about) its length is counted while the application streams it; the first chunk
  that crosses the limit stops the read with 413 (`BodyTooLarge`, an `HTTPException`, so FastAPI's own
  exception handling answers it even when a route reads the body itself).

A malformed ``Content-Length`` is refused with 400. Limits are generous for their purpose: the chat API needs
a few KB, the LINE webhook at most 1 MB, photo uploads the photo limit plus the multipart envelope, the staff
console's FAQ import a spreadsheet.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.settings import Settings
from channels.asgi import send_json

__all__ = ["BodyLimitMiddleware", "BodyTooLarge", "default_limits"]

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
