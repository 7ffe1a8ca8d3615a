"""The REST channel the madoguchi gateway talks to: ``POST /webhooks/madoguchi/webhook``.

Request: ``{"sender": str, "message": str, "metadata": {...}}`` (``metadata`` optional; it is stored on the
``UserUttered`` event, so actions read it as ``tracker.latest_message["metadata"]``). ``sender`` is the
resident_key (the gateway's pseudonym of the resident, never the raw resident_id); Rasa calls it the
conversation's ``sender_id``. The other end of this contract is ``bot.rasa.RasaClient``.

Response: ``{"messages": [<rasa bot messages>], "intent": {"name": str | null, "confidence": float}}`` where the
intent is the one Rasa recorded for *this* message (matched by message id, so a reminder or another turn that
lands on the same conversation cannot be mistaken for it). It is read from the tracker store's summary of the
turn it just saved (`SessionOrderedSQLTrackerStore.summary`), not by loading the tracker again.

Sessions: Rasa replays a conversation's whole current session on every turn, and a session only ends after the
domain's ``session_expiration_time`` (60 minutes) of silence, so a resident who keeps talking makes every turn
slower than the one before. Before a message, the channel starts a new session (Rasa's own
``action_session_start``, which carries the slots — area, language — over) when the current one holds
``MADOGUCHI_SESSION_MAX_TURNS`` messages (default 30) or has been quiet ``MADOGUCHI_SESSION_QUIET_MINUTES``
(default 60), unless a form is open (a report being filed) or the bot's latest reply asked the resident a question
(the garbage area): those sessions go on until the answer is in.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.nlu import speedups

logger = logging.getLogger(__name__)
speedups.install()  # Rasa loads this module (credentials.yml) before it serves a turn

NO_INTENT: dict[str, Any] = {"name": None, "confidence": 0.0}
SESSION_START = "/session_start"  # Rasa's default intent; its rule runs action_session_start


@dataclass(frozen=True)
class SessionLimits:
    max_turns: int = 30
    quiet_minutes: float = 60.0

    @classmethod
    def from_env(cls) -> SessionLimits:
        def number(name: str, default: float) -> float:
            raw = os.environ.get(name, "").strip()
            try:
                value = float(raw) if raw else default
            except ValueError:
                logger.warning("%s=%r is not a number; using %s", name, raw, default)
                return default
            return value if value > 0 else default

        return cls(
            max_turns=int(number("MADOGUCHI_SESSION_MAX_TURNS", cls.max_turns)),
            quiet_minutes=number("MADOGUCHI_SESSION_QUIET_MINUTES", cls.quiet_minutes),
        )

    def renew(self, summary: Any, now: float) -> bool:
        """Whether the conversation summarised (`bot.nlu.tracker_store.SessionSummary`) should start a new
        session before its next message: long or quiet, with no form open and no question waiting."""
        if summary is None or summary.turns == 0 or summary.active_loop or summary.asked:
            return False
        return summary.turns >= self.max_turns or now - summary.last_user_at >= self.quiet_minutes * 60


class MadoguchiInput(RestInput):
    """RestInput that also reports the classified intent of the message it handled."""

    def __init__(self) -> None:
        super().__init__()
        self.limits = SessionLimits.from_env()

    @classmethod
    def name(cls) -> str:
        return "madoguchi"

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata = (request.json or {}).get("metadata")
        return metadata if isinstance(metadata, dict) else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json
            if not isinstance(body, dict):
                return response.json({"error": "body must be a JSON object"}, status=400)
            resident_key = body.get("sender")
            text = body.get("message")
            if not isinstance(resident_key, str) or not resident_key or not isinstance(text, str):
                return response.json({"error": "'sender' and 'message' must be strings"}, status=400)

            store = _summarising_store(request)
            if store is not None and self.limits.renew(await _summary(store, resident_key), time.time()):
                try:
                    await on_new_message(
                        UserMessage(
                            SESSION_START,
                            CollectingOutputChannel(),
                            resident_key,
                            input_channel=self.name(),
                            metadata=self.get_metadata(request),
                        )
                    )
                except Exception:  # the message is still answered, in the old session
                    logger.exception("madoguchi channel: could not start a new session")
            collector = CollectingOutputChannel()
            message = UserMessage(
                text,
                collector,
                resident_key,
                input_channel=self.name(),
                metadata=self.get_metadata(request),
            )
            try:
                await on_new_message(message)
            except Exception:  # the gateway gets what was collected; Rasa logs the rest
                logger.exception("madoguchi channel: failed to handle a message")
            intent = await _intent_of(request, store, resident_key, message.message_id)
            return response.json({"messages": collector.messages, "intent": intent})

        return webhook


def _summarising_store(request: Request) -> Any:
    """The agent's tracker store when it keeps session summaries (madoguchi's SQL store), else None."""
    agent = getattr(request.app.ctx, "agent", None)
    store = getattr(agent, "tracker_store", None)
    for _ in range(4):  # Rasa wraps the configured store (FailSafeTrackerStore, AwaitableTrackerStore)
        if store is None or callable(getattr(store, "summary", None)):
            return store
        store = getattr(store, "_tracker_store", None)
    return None


async def _summary(store: Any, resident_key: str) -> Any:
    """The conversation's summary; after a restart (or a turn served by another Rasa instance) the tracker is
    loaded once to make it. None for a conversation that has not started."""
    summary = store.summary(resident_key)
    if summary is not None:
        return summary
    try:
        tracker = await store.retrieve(resident_key)
    except Exception:
        logger.exception("madoguchi channel: could not read the tracker")
        return None
    return store.remember(tracker) if tracker is not None else None


async def _intent_of(request: Request, store: Any, resident_key: str, message_id: str) -> dict[str, Any]:
    """The intent Rasa recorded for the message ``message_id`` of the conversation ``resident_key``."""
    if store is not None:
        summary = store.summary(resident_key)
        if summary is not None and summary.message_id == message_id:
            return dict(summary.intent)
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return dict(NO_INTENT)
    try:
        tracker = await agent.tracker_store.retrieve(resident_key)
    except Exception:
        logger.exception("madoguchi channel: could not read the tracker")
        return dict(NO_INTENT)
    if tracker is None:
        return dict(NO_INTENT)
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered) and event.message_id == message_id:
            name = event.intent.get("name")
            confidence = event.intent.get("confidence")
            return {"name": name, "confidence": float(confidence) if confidence is not None else 0.0}
    return dict(NO_INTENT)
