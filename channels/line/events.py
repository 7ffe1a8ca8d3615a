"""Webhook events as plain data.

The body is parsed from the raw dict rather than through the SDK's webhook models, which turn an event with a
missing optional field (e.g. `quoteToken`) into `UnknownEvent`; we need only a few fields and keep the raw event.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

SUPPORTED_TYPES = {"message", "follow", "unfollow", "postback", "unsend", "join"}
STANDBY = "standby"  # a module channel (staffed chat, CRM) has the chat: the bot must not answer


class WebhookBodyError(ValueError):
    """The (correctly signed) body is not a LINE webhook payload."""


@dataclass(frozen=True)
class LineEvent:
    """One webhook event, with what the processor needs lifted out of the raw dict."""

    event_id: str
    type: str
    timestamp_ms: int
    user_id: str | None
    reply_token: str | None
    is_redelivery: bool
    message_id: str | None = None
    message_type: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)
    mode: str = "active"  # "standby": another channel (a module) answers this chat, not the bot

    @property
    def message(self) -> dict[str, Any]:
        return self.raw.get("message") or {}

    @property
    def source_type(self) -> str:
        """ "user" (a 1:1 chat), "group" or "room"."""
        return str((self.raw.get("source") or {}).get("type") or "user")

    @property
    def chat_id(self) -> str | None:
        """The group's or room's id for a group/room event, else the user id."""
        source = self.raw.get("source") or {}
        return source.get("groupId") or source.get("roomId") or self.user_id

    @property
    def standby(self) -> bool:
        return self.mode == STANDBY

    @property
    def unsent_message_id(self) -> str | None:
        """For an `unsend` event: the id of the message the resident took back."""
        value = (self.raw.get("unsend") or {}).get("messageId")
        return value if isinstance(value, str) and 0 < len(value) <= MAX_ID else None

    @property
    def postback_data(self) -> str:
        return str((self.raw.get("postback") or {}).get("data") or "")

    def age_s(self, now_s: float | None = None) -> float:
        """Seconds since LINE created the event (the reply token's age)."""
        now_s = time.time() if now_s is None else now_s
        return max(0.0, now_s - self.timestamp_ms / 1000.0)


def parse_body(body: bytes) -> list[dict[str, Any]]:
    """The `events` list of a webhook body; raises `WebhookBodyError` on anything else."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # RecursionError: [[[[…]]]]
        raise WebhookBodyError("body is not JSON") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise WebhookBodyError("body has no events list")
    events = [e for e in payload["events"] if isinstance(e, dict)]
    if len(events) != len(payload["events"]):
        raise WebhookBodyError("an event is not an object")
    return events


MAX_ID = (
    64  # webhookEventId, userId, message id, reply token: LINE's are far shorter; the inbox columns hold 64
)
MAX_TIMESTAMP_MS = 2**53


def _text(value: Any, name: str, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_ID:
        raise WebhookBodyError(f"event without a valid {name}")
    return value


def _object(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise WebhookBodyError(f"event {name} is not an object")
    return value


def from_dict(raw: dict[str, Any]) -> LineEvent:
    """Lift the fields we use; raises `WebhookBodyError` when one of them is missing or of the wrong type
    (only a correctly signed body gets here, but LINE's shapes are checked before anything is stored)."""
    event_id = _text(raw.get("webhookEventId"), "webhookEventId", required=True)
    assert event_id is not None
    source, message, delivery = (
        _object(raw, "source"),
        _object(raw, "message"),
        _object(raw, "deliveryContext"),
    )
    timestamp_ms = raw.get("timestamp", 0)
    if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, int):
        raise WebhookBodyError("event timestamp is not an integer")
    if not 0 <= timestamp_ms < MAX_TIMESTAMP_MS:
        raise WebhookBodyError("event timestamp out of range")
    kind = raw.get("type", "unknown")
    message_type = message.get("type")
    if not isinstance(kind, str) or (message_type is not None and not isinstance(message_type, str)):
        raise WebhookBodyError("event or message type is not a string")
    mode = raw.get("mode", "active")
    if not isinstance(mode, str):
        raise WebhookBodyError("event mode is not a string")
    return LineEvent(
        event_id=event_id,
        type=kind or "unknown",
        timestamp_ms=timestamp_ms,
        user_id=_text(source.get("userId"), "userId"),
        reply_token=_text(raw.get("replyToken") or None, "replyToken"),
        is_redelivery=delivery.get("isRedelivery") is True,
        message_id=_text(message.get("id"), "message id"),
        message_type=message_type or None,
        raw=raw,
        mode=mode or "active",
    )
