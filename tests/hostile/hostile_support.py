"""Helpers for the hostile-input tests: the real gateway with Rasa replaced by an in-process stub."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from bot.chat import ChatService
from bot.settings import Settings, load_settings

CHANNEL_SECRET = "hostile-test-channel-secret"
OPEN311_KEY = "hostile-test-open311-key"
SNOWPLOW_TOKEN = "hostile-test-snowplow-token"


class EchoRasa:
    """Stands in for the Rasa server inside the process: answers every turn, records nothing personal."""

    def __init__(self) -> None:
        self.turns = 0

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
        self.turns += 1
        return {
            "messages": [
                {
                    "text": "ご質問ありがとうございます。",
                    "buttons": [{"title": "ごみの日", "payload": "ごみの日"}],
                }
            ],
            "intent": {"name": "stub", "confidence": 1.0},
        }

    async def healthy(self) -> bool:
        return True

    async def aclose(self) -> None:
        pass


def gateway_settings(data_dir: Path, port: int = 9, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "embedder": "hashing",
        "env": "test",
        "secret_key": "hostile-test-secret-key-not-for-production",
        "rasa_port": port,
        "actions_port": port,
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "open311_api_key": OPEN311_KEY,
        "open311_rate_per_minute": 100_000,  # fuzzing lists cases far faster than any client may
        "snowplow_token": SNOWPLOW_TOKEN,
    }
    values.update(extra)
    return load_settings(**values)


def make_gateway(settings: Settings, rasa: Any | None = None) -> FastAPI:
    """The real app; only the chat service's Rasa client is replaced (as the LINE tests do)."""
    from bot.app import create_app

    app = create_app(settings)
    app.state.services.chat = ChatService(
        app.state.services.factory, rasa or EchoRasa(), settings.secret_key.get_secret_value()
    )
    return app


def seed_reports(app: FastAPI, count: int) -> list[str]:
    """A few resident reports (through the real service), published as if staff reviewed them, so case lists
    are not empty; returns case numbers."""
    from bot.reports.categories import load_categories
    from bot.reports.service import ReportDraft, submit_report
    from bot.storage import reports as repo
    from bot.storage.db import transaction

    table = load_categories(app.state.services.settings.report_categories_file)
    numbers = []
    with transaction(app.state.services.factory) as session:
        for i in range(count):
            draft = ReportDraft(
                category="road_damage",
                description=f"道路に穴があいています ({i})",
                reporter="web-seed",
                lat=35.0 + i / 100,
                lon=139.0 + i / 100,
            )
            outcome = submit_report(session, draft, table)
            repo.publish(session, outcome.report_id, actor="seed", description=draft.description)  # public
            numbers.append(outcome.case_number)
    return numbers
