"""Request body limits (bot/limits.py): per path prefix, a declared length over the limit is refused before a byte
is read, a streamed body is cut off near its limit, a malformed length is a 400; and the gateway's own limits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.types import Receive, Scope, Send

from bot.app import create_app
from bot.limits import DETAIL_400, DETAIL_413, KB, MB, BodyLimitMiddleware, BodyTooLarge, default_limits
from bot.settings import Settings, load_settings
from bot.storage.all_models import metadata
from tests.support.line import CHANNEL_SECRET

CHUNK = 64 * KB
LIMITS = {"": 1000, "/api": 100, "/api/v1/uploads": 10_000}


async def read_all(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that reads the whole body and answers its length."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


def _scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("192.0.2.10", 40000),
        "server": ("testserver", 80),
    }


def _post(
    app: Any, path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, bytes, int]:
    """POST `chunks` as a streamed body; return (status, response body, chunks the app pulled)."""
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        body = chunks[pulled - 1] if pulled <= len(chunks) else b""
        return {"type": "http.request", "body": body, "more_body": pulled < len(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(_scope(path, headers or []), receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body, pulled


def test_the_longest_matching_prefix_sets_the_limit() -> None:
    limited = BodyLimitMiddleware(read_all, LIMITS)
    assert limited.limit_for("/api/v1/uploads/x") == 10_000
    assert limited.limit_for("/api/v1/chat") == 100
    assert limited.limit_for("/admin") == 1000
    assert BodyLimitMiddleware(read_all, {"/api": 5}).limit_for("/other") == 1 * MB  # no default given


def test_a_body_within_its_limit_reaches_the_app() -> None:
    limited = BodyLimitMiddleware(read_all, LIMITS)
    assert _post(limited, "/api/v1/chat", [b"x" * 60, b"x" * 40]) == (200, b"100", 2)
    declared = [(b"content-length", b"100")]
    assert _post(limited, "/api/v1/chat", [b"x" * 100], declared)[:2] == (200, b"100")


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    limited = BodyLimitMiddleware(read_all, LIMITS)
    status, body, pulled = _post(limited, "/api/v1/chat", [b"x" * 101], [(b"content-length", b"101")])
    assert (status, pulled) == (413, 0)
    assert json.loads(body) == {"detail": DETAIL_413}
    assert _post(limited, "/api/v1/uploads", [b"x" * 101], [(b"content-length", b"101")])[0] == 200


@pytest.mark.parametrize("value", [b"-1", b"abc", b"1e3", b""])
def test_a_malformed_length_is_a_400(value: bytes) -> None:
    status, body, pulled = _post(
        BodyLimitMiddleware(read_all, LIMITS), "/api", [b"x"], [(b"content-length", value)]
    )
    assert (status, pulled) == (400, 0)
    assert json.loads(body) == {"detail": DETAIL_400}


def test_a_streamed_body_without_length_stops_at_the_first_chunk_over_the_limit() -> None:
    limited = BodyLimitMiddleware(read_all, LIMITS)
    status, body, pulled = _post(limited, "/api/v1/chat", [b"x" * 60] * 100)
    assert (status, pulled) == (413, 2)  # 60 bytes, then 120 > 100: stopped there
    assert json.loads(body) == {"detail": DETAIL_413}


def test_a_length_that_lies_is_counted_too() -> None:
    limited = BodyLimitMiddleware(read_all, LIMITS)
    status, _, pulled = _post(limited, "/api/v1/chat", [b"x" * 60] * 100, [(b"content-length", b"10")])
    assert (status, pulled) == (413, 2)


def test_a_response_already_started_is_not_answered_twice() -> None:
    async def answers_then_reads(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body"):
            pass

    with pytest.raises(BodyTooLarge):  # the server closes the connection; a second answer would be invalid
        _post(BodyLimitMiddleware(answers_then_reads, LIMITS), "/api", [b"x" * 60] * 10)


def test_other_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    asyncio.run(BodyLimitMiddleware(app, {"": 0})({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen == ["lifespan"]


def test_the_gateway_limits_fit_their_purpose(settings: Settings) -> None:
    limits = default_limits(settings)
    assert limits["/api/v1/uploads"] == settings.photo_max_bytes + 1 * MB  # the photo plus its envelope
    assert limits["/api/v1/chat"] == 64 * KB and limits["/api/v1/feedback"] == 16 * KB
    assert limits["/line/webhook"] == 1 * MB and limits[""] == 1 * MB
    assert limits["/admin"] >= 10 * MB  # a FAQ spreadsheet import


# --- the gateway: every limited route, streamed to it -------------------------------------------------------


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[FastAPI]:
    """The real gateway with every limited route configured (the bodies never get as far as Rasa)."""
    app = create_app(
        load_settings(
            data_dir=tmp_path / "var",
            embedder="hashing",
            env="test",
            secret_key="test-secret-key-not-for-production",
            rasa_port=9,
            actions_port=9,
            LINE_CHANNEL_SECRET=CHANNEL_SECRET,
            open311_api_key="test-open311-key",
        )
    )
    yield app
    app.state.services.engine.dispose()


def table_counts(app: FastAPI) -> dict[str, int]:
    with app.state.services.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


def _stream(
    app: FastAPI, path: str, headers: list[tuple[bytes, bytes]], start: bytes = b""
) -> tuple[int, int]:
    """POST an endless body (`start`, then 64 KB chunks of "x"); return (status, chunks the app pulled)."""
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        if pulled > 20_000:  # 1.3 GB: the app read everything it was given
            return {"type": "http.request", "body": b"", "more_body": False}
        return {
            "type": "http.request",
            "body": (start if pulled == 1 else b"") + b"x" * CHUNK,
            "more_body": True,
        }

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(_scope(path, headers), receive, send))
    return sent[0]["status"], pulled


JSON = [(b"content-type", b"application/json")]
PHOTO_PART = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'


@pytest.mark.parametrize(
    ("path", "limit", "headers", "start"),
    [
        ("/line/webhook", 1_000_000, [(b"x-line-signature", b"c2lnbmF0dXJl")], b""),
        ("/api/v1/chat", 64 * 1024, JSON, b'{"sender_id": "s", "text": "'),
        ("/api/v1/feedback", 16 * 1024, JSON, b'{"sender_id": "'),
        ("/api/v1/furigana", 32 * 1024, JSON, b'{"text": "'),
        ("/open311/v2/requests.json", 1024 * 1024, JSON, b'{"description": "'),
        (
            "/api/v1/uploads",
            11 * 1024 * 1024,
            [(b"content-type", b"multipart/form-data; boundary=xyz")],
            PHOTO_PART,
        ),
    ],
)
def test_a_streamed_body_is_cut_off_near_its_limit(
    gateway: FastAPI, path: str, limit: int, headers: list[tuple[bytes, bytes]], start: bytes
) -> None:
    before = table_counts(gateway)
    status, pulled = _stream(gateway, path, headers, start)
    assert status == 413
    assert pulled <= limit // CHUNK + 2, f"{path} pulled {pulled} chunks of 64 KB for a {limit} byte limit"
    declared = [*headers, (b"content-length", str(10**12).encode())]
    assert _stream(gateway, path, declared, start) == (413, 0)  # refused on the declared length, nothing read
    assert table_counts(gateway) == before


def test_uploads_have_their_own_buckets_per_resident_and_per_address(settings: Settings) -> None:
    from starlette.exceptions import HTTPException
    from starlette.requests import Request

    from bot.limits import UPLOAD_IP_FACTOR, check_upload_rate, upload_limits

    app = create_app(settings)
    request = Request({"type": "http", "app": app, "client": ("192.0.2.10", 1), "headers": []})
    limits = upload_limits(request)
    assert upload_limits(request) is limits  # one set per app
    assert (limits.sender.per_minute, limits.ip.per_minute) == (5, 5 * UPLOAD_IP_FACTOR)
    for _ in range(5):
        check_upload_rate(request, "web-resident")
    with pytest.raises(HTTPException) as refused:
        check_upload_rate(request, "web-resident")
    assert refused.value.status_code == 429 and "写真" in str(refused.value.detail)
    assert int((refused.value.headers or {})["Retry-After"]) >= 1
