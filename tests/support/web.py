"""Fixtures for the web widget's API tests: an app whose Rasa answers from a canned script."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.services import services_of
from bot.settings import Settings

CITY_ORIGIN = "https://www.city.example.jp"


def canned_rasa_reply(text: str) -> dict[str, Any]:
    if "住民票" in text:
        return {
            "messages": [
                {"text": "住民票の写しは市民課の窓口でお取りください。"},
                {"custom": {"madoguchi": {"faq_id": "juminhyo-001", "kind": "faq"}}},
            ],
            "intent": {"name": "ask_city_service", "confidence": 0.97},
        }
    return {"messages": [{"text": "はい。"}], "intent": {"name": "greet", "confidence": 0.9}}


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"cors_origins": f"{CITY_ORIGIN}, https://other.example.jp/", "chat_rate_per_minute": 5}
    )


@pytest.fixture
def rasa_sent() -> list[dict[str, Any]]:
    """What the `client` app sent to its (canned) Rasa, in order."""
    return []


@pytest.fixture
def client(web_settings: Settings, rasa_sent: list[dict[str, Any]]) -> Iterator[TestClient]:
    app = create_app(web_settings)

    async def fake_send(sender: str, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
        rasa_sent.append({"sender": sender, "text": text, "metadata": metadata})
        return canned_rasa_reply(text)

    services_of(app).rasa.send = fake_send  # type: ignore[method-assign]
    with TestClient(app) as test_client:
        yield test_client
