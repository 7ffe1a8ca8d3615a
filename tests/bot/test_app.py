"""The gateway factory (bot/app.py): one services object on the app, every feature installed, start/stop."""

from __future__ import annotations

from fastapi.testclient import TestClient

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
