"""Fixtures for the LINE channel: the loopback fake LINE API, a stub Rasa, and the gateway wired to both."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.chat import ChatService
from bot.services import services_of
from bot.settings import Settings, load_settings
from channels.line.client import RetryPolicy
from channels.line.fake import FakeLine

CHANNEL_SECRET = "test-channel-secret"
ACCESS_TOKEN = "test-access-token"
FAST = RetryPolicy(attempts=4, base_delay_s=0.02, max_delay_s=2.0, timeout_s=0.5, connect_timeout_s=0.5)


class StubRasa:
    """Answers every message without Rasa; FAQ-looking answers for texts starting with 'faq'."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
        self.calls.append({"sender": sender, "text": text, "metadata": metadata})
        messages: list[dict[str, Any]] = [
            {"text": f"answer: {text}", "buttons": [{"title": "ごみの日", "payload": "ごみの日"}]}
        ]
        if text.startswith("faq"):
            messages.append(
                {
                    "custom": {
                        "madoguchi": {
                            "faq_id": "FAQ-001",
                            "kind": "faq",
                            "link": {"label": "市のページ", "url": "https://city.example.jp/faq/1"},
                        }
                    }
                }
            )
        return {"messages": messages, "intent": {"name": "stub", "confidence": 1.0}}

    async def healthy(self) -> bool:
        return True

    async def aclose(self) -> None:
        pass


@pytest.fixture
def fake_line() -> Iterator[FakeLine]:
    with FakeLine(access_token=ACCESS_TOKEN, hang_s=1.0) as fake:
        yield fake


def line_settings(tmp_path: Path, fake: FakeLine | None, database_url: str = "", **extra: Any) -> Settings:
    base = fake.base_url if fake else "http://127.0.0.1:9"
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "embedder": "hashing",
        "env": "test",
        "database_url": database_url,
        "secret_key": "test-secret-key-not-for-production",
        "rasa_port": 9,
        "actions_port": 9,
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE_URL": base,
        "LINE_DATA_API_BASE_URL": base,
    }
    values.update(extra)
    return load_settings(**values)


def make_line_app(settings: Settings, rasa: StubRasa):  # type: ignore[no-untyped-def]
    from bot.app import create_app

    app = create_app(settings)
    services = services_of(app)
    services.chat = ChatService(services.factory, rasa, settings.secret_key.get_secret_value())
    options = app.state.line_options
    options.policy = FAST
    options.poll_s = 0.05
    options.retry_base_s = 0.05
    return app


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing listens on (the LINE worker's wake-up port in tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
