"""Fixtures for the hostile-input tests: loopback stubs of Rasa's and the action server's health checks."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer

sys.path.insert(0, str(Path(__file__).parent))

from hostile_support import gateway_settings, make_gateway  # noqa: E402


@pytest.fixture(scope="module")
def backend_stub() -> Iterator[HTTPServer]:
    """Answers Rasa's `GET /` and the action server's `GET /health` so `/healthz` sees a healthy stack."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/").respond_with_json({"status": "ok"})
    server.expect_request("/health").respond_with_json({"status": "ok"})
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def gateway_client(tmp_path: Path) -> Iterator[TestClient]:
    """The gateway (Rasa stubbed in process) behind a test client, with a fresh SQLite database."""
    app = make_gateway(gateway_settings(tmp_path / "var"))
    with TestClient(app) as client:
        yield client
    app.state.services.engine.dispose()
