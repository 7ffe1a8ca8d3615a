"""Helpers for the privacy tests: the real gateway whose "Rasa" runs the real `action_search_faq` in process,
so a question it cannot answer reaches the unanswered log the way it does in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionSearchFaq
from actions.runtime import Runtime
from bot.chat import ChatService
from bot.settings import Settings, load_settings
from knowledge.search import SearchOutcome

CHANNEL_SECRET = "privacy-test-channel-secret"
ACCESS_TOKEN = "privacy-test-access-token"


class NothingFound:
    """An FAQ searcher with no answer, so every question is logged for staff as unanswered."""

    def search(self, text: str, k: int = 3, strict: bool = False, today: Any = None) -> SearchOutcome:
        return SearchOutcome(decision="unknown", hits=[], reason="privacy test")

    def entry(self, faq_id: str) -> None:
        return None


class ActionRasa:
    """Does what Rasa does for a question it does not recognise: runs `action_search_faq` (the real action,
    on the gateway's database) and returns its messages; also says back what it heard, as a report form's
    confirmation step would. Records what it was sent."""

    def __init__(self, fail: bool = False) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail = fail
        self.rt: Runtime | None = None  # the action server's runtime, set by `gateway_with`

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
        self.received.append({"sender": sender, "text": text, "metadata": metadata})
        if self.fail:  # an unexpected error whose message carries the resident's words
            raise RuntimeError(f"could not understand {text!r}")
        tracker = Tracker(
            sender_id=sender,
            slots={},
            latest_message={"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.3},
                            "entities": [], "metadata": metadata},
            events=[], paused=False, followup_action=None, active_loop={}, latest_action_name=None,
        )  # fmt: skip
        dispatcher = CollectingDispatcher()
        assert self.rt is not None, "build the gateway with gateway_with()"
        await ActionSearchFaq(self.rt).run(dispatcher, tracker, {})
        messages = [{"text": f"「{text}」について確認します。"}, *dispatcher.messages]
        return {"messages": messages, "intent": {"name": "nlu_fallback", "confidence": 0.3}}

    async def healthy(self) -> bool:
        return True

    async def aclose(self) -> None:
        pass


def privacy_settings(tmp_path: Path, database_url: str = "", **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "database_url": database_url,
        "embedder": "hashing",
        "env": "test",
        "secret_key": "privacy-test-secret-key-not-for-production",
        "rasa_port": 9,
        "actions_port": 9,
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
    }
    values.update(extra)
    return load_settings(**values)


def gateway_with(settings: Settings, rasa: ActionRasa) -> FastAPI:
    from bot.app import create_app

    app = create_app(settings)
    app.state.services.chat = ChatService(
        app.state.services.factory, rasa, settings.secret_key.get_secret_value()
    )
    app.state.line_options.poll_s = 0.05
    rasa.rt = Runtime.assemble(settings, app.state.services.factory, NothingFound())
    return app
