"""The REST channel the madoguchi gateway talks to: ``POST /webhooks/madoguchi/webhook``.

Request: ``{"sender": str, "message": str, "metadata": {...}}`` (``metadata`` optional; it is stored on the
``UserUttered`` event, so actions read it as ``tracker.latest_message["metadata"]``). ``sender`` is the
resident_key (the gateway's pseudonym of the resident, never the raw resident_id); Rasa calls it the
conversation's ``sender_id``. The other end of this contract is ``bot.rasa.RasaClient``.

Response: ``{"messages": [<rasa bot messages>], "intent": {"name": str | null, "confidence": float}}`` where the
intent is the one Rasa recorded for *this* message (matched by message id, so a reminder or another turn that
lands on the same conversation cannot be mistaken for it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

NO_INTENT: dict[str, Any] = {"name": None, "confidence": 0.0}


class MadoguchiInput(RestInput):
    """RestInput that also reports the classified intent of the message it handled."""

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
            intent = await _intent_of(request, resident_key, message.message_id)
            return response.json({"messages": collector.messages, "intent": intent})

        return webhook


async def _intent_of(request: Request, resident_key: str, message_id: str) -> dict[str, Any]:
    """The intent Rasa recorded for the message ``message_id`` of the conversation ``resident_key``."""
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
