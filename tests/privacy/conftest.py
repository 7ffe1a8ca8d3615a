"""Fixtures for the privacy tests: the gateway (see `privacy_support`) and a loopback stand-in for the LINE
Messaging API."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from pytest_httpserver import HTTPServer

sys.path.insert(0, str(Path(__file__).parent))

from privacy_support import ACCESS_TOKEN, ActionRasa, gateway_with, privacy_settings  # noqa: E402


@pytest.fixture
def line_api() -> Iterator[HTTPServer]:
    """Accepts every reply and push, as LINE would, and keeps them in `.log`."""
    server = HTTPServer(host="127.0.0.1", port=0)
    for path in ("/v2/bot/message/reply", "/v2/bot/message/push"):
        server.expect_request(path, method="POST").respond_with_json({"sentMessages": [{"id": "1"}]})
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_gateway(tmp_path: Path, line_api: HTTPServer):  # type: ignore[no-untyped-def]
    """`make_gateway(rasa, database_url="", **settings)` -> the real app with LINE pointed at `line_api`."""
    apps: list[FastAPI] = []

    def make(rasa: ActionRasa, database_url: str = "", **extra: Any) -> FastAPI:
        base = line_api.url_for("").rstrip("/")
        settings = privacy_settings(
            tmp_path,
            database_url,
            LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
            LINE_API_BASE_URL=base,
            LINE_DATA_API_BASE_URL=base,
            **extra,
        )
        apps.append(gateway_with(settings, rasa))
        return apps[-1]

    yield make
    for app in apps:
        app.state.services.engine.dispose()
