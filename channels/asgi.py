"""Raw ASGI answers for code that runs ahead of the framework (middleware, the LINE webhook fast path)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Send


async def send_json(send: Send, status: int, content: Any, *, close: bool = False) -> None:
    """Answer `status` with `content` as UTF-8 JSON; `close` also asks the client to drop the connection."""
    body = json.dumps(content, ensure_ascii=False).encode("utf-8")
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
