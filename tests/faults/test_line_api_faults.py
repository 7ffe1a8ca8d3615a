"""LINE's API failing under a burst (500, 503, 429 with Retry-After, hanging calls): every event is retried with
growing delays and reaches the resident exactly once.

The sender and worker are also tested call by call in tests/channels/line; this is the whole gateway (webhook ->
inbox -> worker -> retrying sender) against the loopback fake LINE API with faults queued on both endpoints.
Replies get 5xx and 429 here; a reply that hangs and lands late is the sender's own concern
(tests/channels/line/test_client.py).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import anyio
from fastapi.testclient import TestClient
from fault_support import ACCESS_TOKEN, CHANNEL_SECRET, StubRasa, gateway_app
from sqlalchemy import select

from bot.storage.line_inbox import LineInboxRow
from channels.line import messages as lm
from channels.line.client import LineClient, RetryPolicy, retry_key
from channels.line.fake import FakeLine, signed_headers, text_event, webhook_body

STALE_MS = 120_000  # older than a reply token lives: answered by push


def test_burst_through_500_429_and_hangs_is_delivered_exactly_once(
    tmp_path: Path, fake_line: FakeLine
) -> None:
    fake_line.inject("reply", 500, (429, {"Retry-After": "0"}), 503, 500)
    fake_line.inject(
        "push", 500, "hang", (429, {"Retry-After": "1"}), 503, "hang", 500, 500, 500, 500, 502, (429, {})
    )
    now_ms = int(time.time() * 1000)
    events = [
        text_event(
            f"u{u}-{k}",
            f"U{u:032d}",
            timestamp_ms=now_ms - (STALE_MS if (u + k) % 2 else 0),  # half by reply, half by push
        )
        for k in range(3)
        for u in range(10)
    ]
    app = gateway_app(tmp_path / "var", "", fake_line, StubRasa())
    app.state.line_options.policy = RetryPolicy(  # shorter than the fake's 1 s hang: hung calls time out
        attempts=4, base_delay_s=0.05, max_delay_s=1.0, timeout_s=0.5, connect_timeout_s=0.5
    )
    with TestClient(app) as client:
        for i in range(0, len(events), 5):  # LINE batches events into webhooks
            body = webhook_body(events[i : i + 5])
            response = client.post(
                "/line/webhook", content=body, headers=signed_headers(CHANNEL_SECRET, body)
            )
            assert response.status_code == 200
        settled = fake_line.wait_for(
            lambda f: len(f.delivered) >= len(events) and all(c.status for c in f.calls), 60
        )
        assert settled, len(fake_line.delivered)
        time.sleep(1.5)  # a hung call that LINE would still accept late has had time to land
        with app.state.services.factory() as session:
            statuses = Counter(session.scalars(select(LineInboxRow.status)))
    assert statuses == {"done": len(events)}
    delivered = Counter(fake_line.delivered_texts())
    assert delivered == Counter(f"answer: {e['message']['text']}" for e in events)  # each exactly once
    pushes = fake_line.calls_of("push")
    assert {c.status for c in pushes} >= {200, 409, 429, 500}  # the faults really happened
    by_key = Counter(d["retry_key"] for d in fake_line.delivered if d["via"] == "push")
    assert max(by_key.values()) == 1  # a resent push (same key) was absorbed as 409, never delivered twice
    for call in pushes:  # and each push carried its event's key, derived from the webhookEventId
        assert call.retry_key in {retry_key(e["webhookEventId"]) for e in events}


def test_backoff_grows_and_honours_retry_after(fake_line: FakeLine) -> None:
    policy = RetryPolicy(attempts=6, base_delay_s=0.1, max_delay_s=0.5, timeout_s=0.5, connect_timeout_s=0.5)
    fake_line.inject("push", 500, 500, 500, 500, (429, {"Retry-After": "0.05"}))
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    async def go() -> None:
        async with LineClient(
            ACCESS_TOKEN, fake_line.base_url, fake_line.base_url, policy, sleep=record
        ) as sender:
            await sender.push("U" + "5" * 32, lm.text_messages(["テスト"]), "event-backoff")

    anyio.run(go)
    assert [c.status for c in fake_line.calls_of("push")] == [500, 500, 500, 500, 429, 200]
    exponential = slept[:4]
    assert all(b > a for a, b in zip(exponential, exponential[1:], strict=False)), (
        slept
    )  # 0.1, 0.2, 0.4 (±25 %)
    assert exponential[-1] == policy.max_delay_s  # capped
    assert slept[4] == 0.05  # the server's Retry-After wins
    assert len(fake_line.delivered) == 1
