"""The webhook's two front doors (the documented FastAPI route, the ASGI fast path the gateway serves it with)
answer every case the same way, because both go through `WebhookHandler.respond`."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from channels.line.events import LineEvent
from channels.line.fake import signed_headers, text_event, webhook_body
from channels.line.webhook import WebhookFastPath, WebhookHandler, make_router

SECRET = "paths-secret"
CAP = 4096


def _app(kind: str, secret: str, stored: list[LineEvent]) -> FastAPI:
    async def accept(events: list[LineEvent]) -> int:
        stored.extend(events)
        return len(events)

    handler = WebhookHandler(lambda: secret, accept, max_body_bytes=CAP)
    app = FastAPI()
    app.include_router(make_router(handler))
    if kind == "fast path":
        app.add_middleware(WebhookFastPath, handler=handler)
    return app


def _chunked(body: bytes):  # type: ignore[no-untyped-def]  # no Content-Length: the cap is counted while reading
    yield body[: len(body) // 2]
    yield body[len(body) // 2 :]


@pytest.mark.parametrize("kind", ["route", "fast path"])
def test_both_paths_answer_alike(kind: str) -> None:
    stored: list[LineEvent] = []
    client = TestClient(_app(kind, SECRET, stored))
    body = webhook_body([text_event("ごみの日", "U" + "1" * 32)])

    assert client.post("/line/webhook", content=body, headers=signed_headers(SECRET, body)).status_code == 200
    assert len(stored) == 1

    forged = client.post("/line/webhook", content=body, headers=signed_headers("not-the-secret", body))
    assert (forged.status_code, forged.json()) == (401, {"detail": "invalid signature"})

    unsigned = client.post("/line/webhook", content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401

    not_webhook = b'{"hello": 1}'
    refused = client.post("/line/webhook", content=not_webhook, headers=signed_headers(SECRET, not_webhook))
    assert refused.status_code == 400

    big = json.dumps({"events": [], "pad": "x" * CAP}).encode()
    declared = client.post("/line/webhook", content=big, headers=signed_headers(SECRET, big))
    assert declared.status_code == 413
    streamed = client.post("/line/webhook", content=_chunked(big), headers=signed_headers(SECRET, big))
    assert streamed.status_code == 413
    assert len(stored) == 1  # nothing refused was stored

    verification = b'{"destination": "U0", "events": []}'  # LINE's "Verify" button
    assert (
        client.post(
            "/line/webhook", content=verification, headers=signed_headers(SECRET, verification)
        ).status_code
        == 200
    )


@pytest.mark.parametrize("kind", ["route", "fast path"])
def test_both_paths_say_when_the_channel_is_not_configured(kind: str) -> None:
    stored: list[LineEvent] = []
    client = TestClient(_app(kind, "", stored))
    body = webhook_body([text_event("ごみの日", "U" + "1" * 32)])
    answer = client.post("/line/webhook", content=body, headers=signed_headers(SECRET, body))
    assert answer.status_code == 503 and stored == []
