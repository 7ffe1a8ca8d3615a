"""A tiny ASGI app for tests/bot/run/test_launcher.py: answers the client address uvicorn decided on."""

from __future__ import annotations

import json
from typing import Any


def create() -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        host = scope["client"][0] if scope.get("client") else ""
        body = json.dumps({"client": host, "scheme": scope["scheme"]}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app
