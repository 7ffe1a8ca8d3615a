"""Typed dependencies (bot/deps.py): each resolves to the matching part of the app's `Services`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.deps import ChatDep, ClockDep, FactoryDep, ServicesDep, SettingsDep
from bot.services import Services
from bot.settings import Settings
from bot.storage.db import migrate


def test_dependencies_resolve_to_the_services_parts(settings: Settings) -> None:
    settings.ensure_dirs()
    migrate(settings.db_url)
    services = Services.build(settings)
    app = FastAPI()
    app.state.services = services
    seen: dict[str, object] = {}

    @app.get("/probe")
    def probe(
        all_of_them: ServicesDep, s: SettingsDep, factory: FactoryDep, chat: ChatDep, clock: ClockDep
    ) -> dict[str, bool]:
        seen.update(services=all_of_them, settings=s, factory=factory, chat=chat, clock=clock)
        return {"ok": True}

    assert TestClient(app).get("/probe").json() == {"ok": True}
    assert seen == {
        "services": services,
        "settings": settings,
        "factory": services.factory,
        "chat": services.chat,
        "clock": services.clock,
    }
    services.engine.dispose()
