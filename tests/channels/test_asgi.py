"""Raw ASGI JSON answers: the messages sent, and what an HTTP client receives from them."""

from __future__ import annotations

import json
from typing import Any

import anyio
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from channels.asgi import send_json


def sent(status: int, content: Any, *, close: bool = False) -> list[Message]:
    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    anyio.run(lambda: send_json(send, status, content, close=close))
    return messages


def test_one_start_and_one_body_message() -> None:
    start, body = sent(429, {"detail": "待ってください"})
    assert start["type"] == "http.response.start" and start["status"] == 429
    assert body["type"] == "http.response.body"
    assert "more_body" not in body  # the whole answer in one message
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/json; charset=utf-8"
    assert b"connection" not in headers


def test_japanese_is_sent_as_utf8_not_escaped_and_the_length_counts_bytes() -> None:
    start, body = sent(200, {"detail": "住民票"})
    assert body["body"] == '{"detail": "住民票"}'.encode()
    assert b"\\u" not in body["body"]
    assert dict(start["headers"])[b"content-length"] == str(len(body["body"])).encode()
    assert len(body["body"]) > len('{"detail": "住民票"}')  # bytes, not characters


def test_close_asks_the_client_to_drop_the_connection() -> None:
    start, _ = sent(413, {"detail": "too large"}, close=True)
    assert dict(start["headers"])[b"connection"] == b"close"


def test_any_json_value() -> None:
    _, body = sent(200, [1, "二", None])
    assert json.loads(body["body"]) == [1, "二", None]


def test_an_http_client_reads_the_answer() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, 503, {"detail": "混雑しています", "retry": True}, close=True)

    response = TestClient(app).get("/")  # no `with`: this bare app has no lifespan
    assert response.status_code == 503
    assert response.json() == {"detail": "混雑しています", "retry": True}
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert int(response.headers["content-length"]) == len(response.content)
