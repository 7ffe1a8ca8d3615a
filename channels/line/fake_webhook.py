"""Signed webhook bodies as LINE sends them, for tests, benchmarks and staging (re-exported by `fake.py`).

    body = webhook_body([text_event("ごみの日"), event("follow"), event("unsend", unsend={"messageId": "1"})])
    client.post("/line/webhook", content=body, headers=signed_headers(secret, body))

Events without a reply token in LINE's shapes get none here either: `unfollow`, `unsend`, `leave`,
`memberLeft`, and any event in standby mode (`mode="standby"`: a module channel has the chat).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from channels.line.signature import sign

NO_REPLY_TOKEN = frozenset({"unfollow", "unsend", "leave", "memberLeft"})


def text_event(
    text: str, user_id: str = "U" + "0" * 32, *, message_id: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    """A text message event; `kwargs` as for `event` (event_id, reply_token, redelivery, timestamp_ms, mode,
    source)."""
    message_id = message_id or str(uuid.uuid4().int)[:18]
    message = {"type": "text", "id": message_id, "text": text, "quoteToken": "q" + uuid.uuid4().hex}
    return event("message", user_id, message=message, **kwargs)


def event(
    kind: str,
    user_id: str = "U" + "0" * 32,
    *,
    event_id: str | None = None,
    reply_token: str | None = None,
    redelivery: bool = False,
    timestamp_ms: int | None = None,
    mode: str = "active",
    source: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Any event: `event("follow")`, `event("message", message={...})`, `event("postback", postback={...})`,
    `event("join", source=group_source("C…"))`."""
    body = {
        "type": kind,
        "mode": mode,
        "timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
        "source": source or {"type": "user", "userId": user_id},
        "webhookEventId": event_id or uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": redelivery},
        **extra,
    }
    if kind not in NO_REPLY_TOKEN and mode != "standby":
        body["replyToken"] = reply_token or uuid.uuid4().hex
    return body


def group_source(group_id: str, user_id: str | None = None, kind: str = "group") -> dict[str, Any]:
    """The `source` of an event in a group (`kind="room"`: a multi-person chat); `userId` only when known."""
    source: dict[str, Any] = {"type": kind, f"{kind}Id": group_id}
    if user_id:
        source["userId"] = user_id
    return source


def webhook_body(
    events: list[dict[str, Any]], destination: str = "Uxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
) -> bytes:
    return json.dumps({"destination": destination, "events": events}, ensure_ascii=False).encode()


def signed_headers(secret: str, body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Line-Signature": sign(secret, body)}
