"""The gateway factory (bot/app.py): one services object on the app, every feature installed, start/stop."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.app import FEATURES, create_app
from bot.services import Services, services_of
from bot.settings import Settings


def test_the_app_holds_one_services_object_built_from_its_settings(settings: Settings) -> None:
    app = create_app(settings)
    services = services_of(app)
    assert isinstance(services, Services)
    assert services.settings is settings
    assert services.clock == settings.city_clock()
    state = set(app.state._state)
    assert {"services", "startup_hooks", "shutdown_hooks"} <= state
    assert not state & {"session_factory", "engine", "rasa", "chat", "live_searcher", "faq_embedder"}


def test_every_feature_is_installed(settings: Settings) -> None:
    app = create_app(settings)
    assert len(FEATURES) == 8
    paths = set(app.openapi()["paths"])
    for path in (
        "/healthz",
        "/api/v1/chat",
        "/api/v1/uploads",
        "/api/v1/widget-config",
        "/api/v1/snowplow/positions",
        "/line/webhook",
    ):
        assert path in paths, path
    assert any(path.startswith("/open311/v2/") for path in paths)
    with TestClient(app) as client:
        assert client.get("/admin/login").status_code == 200  # the console (not in the OpenAPI schema)
        assert client.get("/widget.js").status_code == 200
    hooks = [hook.__qualname__ for hook in app.state.startup_hooks]
    assert len(hooks) == len(app.state.shutdown_hooks) >= 4  # LINE inbox, retention, reminders, report upkeep


def test_start_up_and_shut_down_run_every_hook(settings: Settings) -> None:
    app = create_app(settings)
    ran: list[str] = []

    async def start(app) -> None:  # type: ignore[no-untyped-def]
        ran.append("start")

    async def stop(app) -> None:  # type: ignore[no-untyped-def]
        ran.append("stop")

    app.state.startup_hooks.append(start)
    app.state.shutdown_hooks.append(stop)
    with TestClient(app):
        assert ran == ["start"]
    assert ran == ["start", "stop"]


# --- safe defaults (issue 17, item 8) ---------------------------------------------------------------------


def _cookies(response) -> list[str]:  # type: ignore[no-untyped-def]
    return response.headers.get_list("set-cookie")


def test_console_cookies_are_secure_over_https_whatever_the_env(admin_app) -> None:  # type: ignore[no-untyped-def]
    from tests.support.admin import login

    plain = TestClient(admin_app).get("/admin/login")
    assert _cookies(plain) and not [c for c in _cookies(plain) if "secure" in c.lower()]
    https = TestClient(admin_app, base_url="https://testserver")
    assert all("secure" in c.lower() for c in _cookies(https.get("/admin/login")))
    signed_in = login(https, "viewer")
    assert signed_in.status_code == 303  # type: ignore[attr-defined]
    session = [c for c in _cookies(signed_in) if c.startswith("madoguchi_admin=")]
    assert session and "secure" in session[0].lower()


@pytest.fixture
def production(settings: Settings) -> Settings:
    return settings.model_copy(update={"env": "production", "secret_key": SecretStr("p" * 40)})


def test_production_hides_the_api_docs_and_sends_hsts_and_secure_cookies(production: Settings) -> None:
    with TestClient(create_app(production)) as client:  # plain http: the proxy in front speaks https
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404, path
        health = client.get("/healthz")
        assert health.headers["strict-transport-security"].startswith("max-age=")
        assert health.headers["x-content-type-options"] == "nosniff"
        assert all("secure" in c.lower() for c in _cookies(client.get("/admin/login")))


def test_development_keeps_the_docs_and_sends_hsts_only_over_https(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/openapi.json").status_code == 200 and client.get("/docs").status_code == 200
        answer = client.post("/api/v1/chat", json={})
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.headers["x-content-type-options"] == "nosniff"  # JSON is never sniffed
        assert "strict-transport-security" not in answer.headers
        https = TestClient(app, base_url="https://testserver").get("/widget.js")
        assert https.headers["strict-transport-security"].startswith("max-age=")


def test_the_placeholder_secret_is_named_in_the_log(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    development = settings.model_copy(update={"env": "development", "secret_key": SecretStr("change-me")})
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        create_app(development)
    assert any("MADOGUCHI_SECRET_KEY" in r.getMessage() for r in caplog.records)
