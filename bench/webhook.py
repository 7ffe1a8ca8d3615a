"""LINE webhook under a burst: 500 signed webhooks sent at once to the whole stack, with a loopback fake LINE API.

`make_webhook_env()` starts the fake and gives the stack's extra environment (channel secret, access token,
API base URLs pointing at the fake); `burst(url)` measures how fast the gateway acknowledges (LINE wants 2xx
within 2 s), how long until each resident got the answer, and whether anything was lost or delivered twice.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import multiprocessing
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from bench.chatload import questions
from bench.rawhttp import post_all
from bench.stats import percentiles
from channels.line.fake import FakeLine

SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def text_event(text: str, user: int) -> dict:
    """A text message event; the event id is a UUID, which the gateway uses as the push retry key as is."""
    return {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": f"U{user:032d}"},
        "webhookEventId": str(uuid.uuid4()),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": uuid.uuid4().hex,
        "message": {"type": "text", "id": str(uuid.uuid4().int)[:18], "text": text, "quoteToken": "q"},
    }


def _post_all(url: str, requests: list[tuple[bytes, dict[str, str]]], concurrency: int) -> list[tuple | None]:
    """In a child process: (status, seconds, finished) per request, None for a failed one."""
    answers = asyncio.run(post_all(url, requests, concurrency))
    return [None if isinstance(a, Exception) else (a.status, a.seconds, a.finished) for a in answers]


def _send(url: str, events: list[dict], concurrency: int) -> tuple[list[float], dict[str, float], int]:
    """One webhook per event over `concurrency` keep-alive connections (LINE sends in parallel).

    The requests go out from a separate process: this one also runs the fake LINE API, whose threads would
    otherwise delay reading the acknowledgements and inflate what is measured. (Timestamps are
    `time.perf_counter()`, the system-wide monotonic clock, comparable across the two processes.)"""
    requests = []
    for event in events:
        body = json.dumps({"destination": "Ubench", "events": [event]}, ensure_ascii=False).encode()
        requests.append((body, {"Content-Type": "application/json", "X-Line-Signature": sign(body)}))
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        answers = pool.submit(_post_all, f"{url}/line/webhook", requests, concurrency).result()
    acks: list[float] = []
    acked_at: dict[str, float] = {}
    errors = 0
    for event, answer in zip(events, answers, strict=True):
        if answer is None or answer[0] != 200:
            errors += 1
            continue
        acks.append(answer[1])
        acked_at[event["webhookEventId"]] = answer[2]
    return acks, acked_at, errors


def burst(
    fake: FakeLine,
    url: str,
    events: int = 500,
    users: int = 100,
    concurrency: int = 50,
    settle_s: float = 600.0,
    while_answering: int = 0,
) -> dict:
    """Send the burst, wait until every acknowledged event was answered (or progress stops), and measure.

    `while_answering`: first send that many other events (not measured) and wait until LINE has received the
    first answers to them, so the measured burst arrives while the stack is busy answering (no pause for the
    worker to wait for, see `LineWorker._let_burst_pass`)."""
    pool = questions()
    earlier = [text_event(pool[i % len(pool)], i % users) for i in range(while_answering)]
    batch = [text_event(pool[i % len(pool)], i % users) for i in range(events)]
    by_token = {e["replyToken"]: e["webhookEventId"] for e in [*earlier, *batch]}
    started = time.perf_counter()
    earlier_acked: dict[str, float] = {}
    if earlier:
        _acks, earlier_acked, _errors = _send(url, earlier, concurrency)
        while len(fake.snapshot()) < min(20, len(earlier_acked)) and time.perf_counter() - started < 120:
            time.sleep(0.05)
    measured_from = time.perf_counter()
    acks, acked_at, errors = _send(url, batch, concurrency)
    sent_s = time.perf_counter() - measured_from
    everything = {**earlier_acked, **acked_at}

    def answered() -> dict[str, list[float]]:
        seen: dict[str, list[float]] = {}
        for d in fake.snapshot():
            event_id = event_of(d.key, by_token)
            if event_id in everything:
                seen.setdefault(event_id, []).append(d.at)
        return seen

    deadline, last, last_change = time.perf_counter() + settle_s, -1, time.perf_counter()
    while time.perf_counter() < deadline:
        count = len(answered())
        if count >= len(everything):
            break
        if count != last:
            last, last_change = count, time.perf_counter()
        elif time.perf_counter() - last_change > 90:
            break  # no progress for 90 s: report what arrived
        time.sleep(0.5)
    time.sleep(2.0)  # anything delivered twice has arrived by now
    seen = answered()
    deliveries = fake.snapshot()
    processing = [min(times) - acked_at[event_id] for event_id, times in seen.items() if event_id in acked_at]
    return {
        "events": events,
        "while_answering": while_answering,
        "users": users,
        "concurrency": concurrency,
        "send_s": sent_s,
        "ack_errors": errors,
        "ack": percentiles(acks),
        "processing": percentiles(processing),
        "drain_s": max((max(t) for t in seen.values()), default=started) - started,
        "delivered": len(seen),
        "lost": len(everything) - len(seen),
        "duplicates": sum(len(t) - 1 for t in seen.values()),
        "replies": sum(1 for d in deliveries if d.via == "reply"),
        "pushes": sum(1 for d in deliveries if d.via == "push"),
        "refused_by_line": fake.refused,
    }


def line_env(fake: FakeLine) -> dict[str, str]:
    """The stack's LINE settings: our channel secret and token, both API hosts on the fake."""
    return {
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": fake.base_url,
        "LINE_DATA_API_BASE_URL": fake.base_url,
    }


def event_of(delivery_key: str, by_token: dict[str, str]) -> str:
    """The event a delivery answered: by its reply token, or by a push's retry key (= the event id)."""
    return by_token.get(delivery_key) or delivery_key.rsplit(":", 1)[-1]


@dataclass
class WebhookEnv:
    """What the stack needs to exercise the LINE webhook (a fake LINE API), and the burst itself."""

    env: dict[str, str] = field(default_factory=dict)
    burst: Callable[[str], dict] = lambda url: {}
    burst_while_answering: Callable[[str], dict] = lambda url: {}
    close: Callable[[], None] = lambda: None


def make_webhook_env() -> WebhookEnv:
    fake = FakeLine(TOKEN).start()
    return WebhookEnv(
        env=line_env(fake),
        burst=lambda url: burst(fake, url),
        burst_while_answering=lambda url: burst(fake, url, while_answering=500),
        close=fake.close,
    )
