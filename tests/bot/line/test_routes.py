"""`bot.line.routes.install`: the webhook route is mounted, and the inbox wakes the worker this settings pick."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from bot.line.wake import UdpWaker
from bot.line.worker import LineWorker
from channels.line.fake import FakeLine, signed_headers, text_event, webhook_body
from tests.support.line import CHANNEL_SECRET, StubRasa, free_udp_port, line_settings, make_line_app


def test_webhook_is_a_documented_route(tmp_path: Path) -> None:
    app = make_line_app(line_settings(tmp_path, None), StubRasa())
    assert "post" in app.openapi()["paths"]["/line/webhook"]


def test_inline_worker_is_woken_by_the_inbox(tmp_path: Path, fake_line: FakeLine) -> None:
    app = make_line_app(line_settings(tmp_path, fake_line), StubRasa())
    with TestClient(app) as client:
        worker = app.state.line_worker
        assert isinstance(worker, LineWorker)
        assert app.state.line_inbox.wake == worker.wake
        body = webhook_body([text_event("こんにちは", "U" + "7" * 32)])
        response = client.post("/line/webhook", content=body, headers=signed_headers(CHANNEL_SECRET, body))
        assert response.status_code == 200
        assert fake_line.wait_for(lambda f: f.delivered_texts() == ["answer: こんにちは"])
    assert app.state.line_client is not None


def test_process_mode_wakes_the_worker_process_over_udp(tmp_path: Path) -> None:
    settings = line_settings(tmp_path, None, line_worker="process", line_worker_port=free_udp_port())
    app = make_line_app(settings, StubRasa())
    with TestClient(app):
        assert isinstance(app.state.line_inbox.wake, UdpWaker)
        assert not hasattr(app.state, "line_worker")


def test_no_access_token_stores_without_answering(tmp_path: Path) -> None:
    app = make_line_app(line_settings(tmp_path, None, LINE_CHANNEL_ACCESS_TOKEN=""), StubRasa())
    with TestClient(app) as client:
        body = webhook_body([text_event("こんにちは")])
        response = client.post("/line/webhook", content=body, headers=signed_headers(CHANNEL_SECRET, body))
        assert response.status_code == 200
        assert not hasattr(app.state, "line_worker")
