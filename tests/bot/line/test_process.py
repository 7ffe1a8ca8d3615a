"""The LINE worker in its own process (`MADOGUCHI_LINE_WORKER=process`, what the launcher runs): the gateway only
stores and acknowledges, wakes the worker over UDP, and the worker answers."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from bot.chat import ChatService
from bot.line.process import create_worker_app
from channels.line.fake import FakeLine, signed_headers, text_event, webhook_body
from tests.support.line import CHANNEL_SECRET, FAST, StubRasa, free_udp_port, line_settings, make_line_app

SECRET = "test-secret-key-not-for-production"


def _drained(worker: TestClient, timeout_s: float = 10.0) -> bool:
    """Until the worker reports nothing pending (an event is marked done just after its reply is sent)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if worker.get("/healthz").json()["pending"] == 0:
            return True
        time.sleep(0.05)
    return False


def _post(client: TestClient, events: list[dict]) -> int:
    body = webhook_body(events)
    return client.post(
        "/line/webhook", content=body, headers=signed_headers(CHANNEL_SECRET, body)
    ).status_code


def test_gateway_stores_and_wakes_and_the_worker_process_answers(tmp_path: Path, fake_line: FakeLine) -> None:
    port = free_udp_port()
    settings = line_settings(tmp_path, fake_line, line_worker="process", line_worker_port=port)
    rasa = StubRasa()
    gateway_app = make_line_app(settings, rasa)
    worker_app = create_worker_app(settings)
    worker_app.state.chat = ChatService(worker_app.state.session_factory, rasa, SECRET)  # type: ignore[arg-type]
    options = worker_app.state.line_options
    options.policy = FAST
    options.poll_s = 60.0  # only a wake-up can make the answer come quickly
    with TestClient(gateway_app) as gateway, TestClient(worker_app) as worker:
        assert not hasattr(gateway_app.state, "line_worker")  # the gateway does not answer itself
        health = worker.get("/healthz").json()
        assert health["worker"] == "running" and health["pending"] == 0
        time.sleep(0.3)  # the worker's first look at the inbox is over; it now waits for a wake-up
        started = time.monotonic()
        event = text_event("こんにちは", "U" + "1" * 32)
        assert _post(gateway, [event]) == 200
        assert fake_line.wait_for(lambda f: bool(f.calls_of("reply")), 10)
        assert time.monotonic() - started < 10 < options.poll_s
        assert [c["text"] for c in rasa.calls] == ["こんにちは"]
        assert _post(gateway, [event]) == 200  # redelivery: stored once, answered once
        time.sleep(0.5)
        assert len(fake_line.calls_of("reply")) == 1 and len(rasa.calls) == 1
        assert _drained(worker)


def test_events_wait_in_the_inbox_while_the_worker_is_down(tmp_path: Path, fake_line: FakeLine) -> None:
    settings = line_settings(tmp_path, fake_line, line_worker="process", line_worker_port=free_udp_port())
    rasa = StubRasa()
    with TestClient(make_line_app(settings, rasa)) as gateway:
        events = [text_event(f"質問{i}", f"U{i:032d}") for i in range(3)]
        assert _post(gateway, events) == 200  # acknowledged with no worker running
    worker_app = create_worker_app(settings)
    worker_app.state.chat = ChatService(worker_app.state.session_factory, rasa, SECRET)  # type: ignore[arg-type]
    worker_app.state.line_options.policy = FAST
    with TestClient(worker_app) as worker:  # a worker (re)started later finds them
        assert fake_line.wait_for(lambda f: len(f.calls_of("reply")) == 3, 10)
        assert _drained(worker)
    assert sorted(c["text"] for c in rasa.calls) == ["質問0", "質問1", "質問2"]


def test_worker_without_access_token_says_so(tmp_path: Path) -> None:
    settings = line_settings(
        tmp_path, None, line_worker="process", line_worker_port=free_udp_port(), LINE_CHANNEL_ACCESS_TOKEN=""
    )
    with TestClient(create_worker_app(settings)) as worker:
        health = worker.get("/healthz").json()
    assert health["status"] == "ok" and "LINE_CHANNEL_ACCESS_TOKEN" in health["worker"]
