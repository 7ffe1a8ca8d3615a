"""Issue 4 over the whole stack: LINE webhook -> inbox -> Rasa + actions -> replies to the fake LINE API.

Launcher, Rasa, action server and gateway are the real ones (the session `stack`); only LINE's API is a
loopback fake. Every test uses its own residents, so the shared stack's other traffic cannot be mistaken for
the answer under test.
"""

from __future__ import annotations

import os
import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.storage.line_inbox import DONE, LineInboxRow
from bot.storage.models import FaqRow, Message
from channels.line.client import retry_key
from channels.line.fake import FakeLine, text_event, webhook_body
from channels.line.signature import sign
from tests.e2e.conftest import Stack
from tests.e2e.stack_support import (
    CHANNEL_SECRET,
    converse,
    deliveries_for,
    new_line_user,
    post_webhook,
    resident_key,
    stack_db,
    texts_of,
    wait_line_idle,
)

pytestmark = [pytest.mark.stack, pytest.mark.slow]

QUESTIONS = [
    "住民票はどこで取れますか",
    "こんにちは",
    "粗大ごみの出し方を教えて",
    "ありがとう",
    "印鑑登録をしたい",
]


def _stored_messages(stack: Stack, users: list[str], direction: str) -> int:
    keys = [resident_key(stack, "line", u) for u in users]
    with stack_db(stack) as session:
        return (
            session.scalar(
                select(func.count()).where(
                    Message.channel == "line", Message.direction == direction, Message.sender.in_(keys)
                )
            )
            or 0
        )


def _inbox_rows(stack: Stack, events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    ids = [e["webhookEventId"] for e in events]
    with stack_db(stack) as session:
        return list(
            session.execute(
                select(LineInboxRow.event_id, LineInboxRow.status).where(LineInboxRow.event_id.in_(ids))
            ).all()
        )


def _answered_once(fake: FakeLine, events: list[dict[str, Any]]) -> dict[str, int]:
    """Events not answered exactly once (event id -> deliveries); empty when all were."""
    counts = {e["webhookEventId"]: len(deliveries_for(fake, e)) for e in events}
    return {event_id: n for event_id, n in counts.items() if n != 1}


def test_signed_text_event_gets_the_faq_answer(stack: Stack, line: FakeLine) -> None:
    user = new_line_user()
    question = text_event("住民票はどこで取れますか", user)
    answer = converse(stack, line, question)
    delivered = deliveries_for(line, question)
    assert len(delivered) == 1 and delivered[0]["via"] == "reply", delivered
    with stack_db(stack) as session:
        out = session.scalars(
            select(Message).where(
                Message.sender == resident_key(stack, "line", user), Message.direction == "out"
            )
        ).all()
        assert len(out) == 1 and out[0].faq_id and out[0].faq_id.startswith("cert-"), out
        entry = session.get(FaqRow, out[0].faq_id)
    assert entry is not None and "住民票" in entry.answer
    assert answer == entry.answer  # the FAQ's own answer text, as the resident reads it on LINE
    buttons = [m for m in delivered[0]["messages"] if m["type"] == "template"]
    postbacks = [a["data"] for a in buttons[0]["template"]["actions"] if a["type"] == "postback"]
    assert postbacks == [f"a=fb&v=1&faq={entry.id}", f"a=fb&v=0&faq={entry.id}"]  # 役に立った / 立たなかった


def test_forged_signature_is_refused_and_nothing_is_stored(stack: Stack, line: FakeLine) -> None:
    user = new_line_user()
    forged = text_event("住民票はどこで取れますか", user)
    body = webhook_body([forged])
    attempts = {
        "wrong secret": {"X-Line-Signature": sign("not-the-channel-secret", body)},
        "another body": {"X-Line-Signature": sign(CHANNEL_SECRET, body + b" ")},
        "garbage": {"X-Line-Signature": "AAAA"},
        "missing": {},
    }
    for what, headers in attempts.items():
        response = httpx.post(
            f"{stack.url}/line/webhook",
            content=body,
            headers={"Content-Type": "application/json", **headers},
            timeout=10,
        )
        assert 400 <= response.status_code < 500, (what, response.status_code, response.text)
    # A genuine event sent afterwards is answered; the forged one never is, and left no trace.
    genuine = text_event("こんにちは", new_line_user())
    converse(stack, line, genuine)
    wait_line_idle(stack)
    assert not deliveries_for(line, forged)
    assert not [c for c in line.calls if forged["replyToken"].encode() in c.body or user.encode() in c.body]
    assert _inbox_rows(stack, [forged]) == []
    assert _stored_messages(stack, [user], "in") == 0


def test_fifty_events_delivered_three_times_shuffled_are_answered_once(stack: Stack, line: FakeLine) -> None:
    users = [new_line_user() for _ in range(10)]
    events = [text_event(QUESTIONS[k], user) for user in users for k in range(5)]
    redelivered = [
        {**e, "deliveryContext": {"isRedelivery": True}} for e in events for _ in range(2)
    ]  # LINE redelivers with the same webhookEventId and the flag set
    deliveries = events + redelivered
    random.Random(4).shuffle(deliveries)
    batches, i = [], 0
    while i < len(deliveries):
        size = random.Random(i).randint(1, 8)
        batches.append(deliveries[i : i + size])
        i += size

    def deliver(batch: list[dict[str, Any]]) -> tuple[int, float]:
        started = time.monotonic()
        response = post_webhook(stack, batch)
        return response.status_code, time.monotonic() - started

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(deliver, batches))
    assert {status for status, _ in results} == {200}
    assert max(took for _, took in results) < 2.0, results  # LINE gives up on a webhook after 2 s

    assert line.wait_for(lambda f: all(deliveries_for(f, e) for e in events), 120), stack.log_tail()
    wait_line_idle(stack)
    time.sleep(1.0)  # anything answered twice would have arrived by now
    assert _answered_once(line, events) == {}
    assert sum(len(deliveries_for(line, e)) for e in events) == 50
    assert sorted(_inbox_rows(stack, events)) == sorted((e["webhookEventId"], DONE) for e in events)
    assert _stored_messages(stack, users, "in") == 50
    assert _stored_messages(stack, users, "out") == 50


def test_line_api_500_then_429_still_delivers_exactly_once(stack: Stack, line: FakeLine) -> None:
    # Reply: a 500 (did it land? the token is tried again) then a 429 (retried after Retry-After) -> one reply.
    fresh = text_event("住民票はどこで取れますか", new_line_user())
    line.inject("reply", 500, (429, {"Retry-After": "1"}))
    converse(stack, line, fresh)
    wait_line_idle(stack)
    time.sleep(0.5)
    replies = [c for c in line.calls_of("reply") if fresh["replyToken"].encode() in c.body]
    assert [c.status for c in replies] == [500, 429, 200]
    assert [d["via"] for d in deliveries_for(line, fresh)] == ["reply"]
    assert not line.calls_of("push")

    # Push: a redelivery that arrives after the reply token's minute must be pushed; 500, then 429 with
    # Retry-After, then accepted — three calls with one retry key, one message on the resident's phone.
    user = new_line_user()
    late = text_event(
        "住民票はどこで取れますか", user, redelivery=True, timestamp_ms=int((time.time() - 70) * 1000)
    )
    line.inject("push", 500, (429, {"Retry-After": "1"}))
    converse(stack, line, late)
    wait_line_idle(stack)
    time.sleep(0.5)
    pushes = [c for c in line.calls_of("push") if user.encode() in c.body]
    assert [c.status for c in pushes] == [500, 429, 200]
    assert {c.retry_key for c in pushes} == {retry_key(late["webhookEventId"])}
    assert [d["via"] for d in deliveries_for(line, late)] == ["push"]
    assert not [c for c in line.calls_of("reply") if late["replyToken"].encode() in c.body]
    assert texts_of(deliveries_for(line, late)) and "住民票" in texts_of(deliveries_for(line, late))[0]


def _child(stack: Stack, name: str) -> tuple[int, int]:
    """(pid, restarts) of a launcher child, from the launcher's pids file."""
    child = stack.children()[name]
    return int(child["pid"]), int(child["restarts"])


def _wait_restarted(stack: Stack, name: str, old_pid: int, timeout_s: float = 120.0) -> tuple[int, int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            pid, restarts = _child(stack, name)
            if pid != old_pid and stack.healthy():
                return pid, restarts
        except (OSError, ValueError, KeyError):
            pass  # the file is rewritten atomically, the port is closed while the gateway restarts
        time.sleep(0.3)
    raise AssertionError(f"{name} was not restarted in {timeout_s:.0f} s:\n{stack.log_tail()}")


def test_gateway_and_worker_killed_mid_batch_every_event_is_answered_once(
    stack: Stack, line: FakeLine
) -> None:
    """Both processes of the LINE path (the gateway that stores events, the worker that answers them) die with
    SIGKILL mid-batch: every accepted event is still answered exactly once after the launcher restarts them."""
    users = [new_line_user() for _ in range(8)]
    events = [text_event(QUESTIONS[k], user) for k in range(5) for user in users]
    before = {name: _child(stack, name) for name in ("gateway", "line-worker")}
    for i in range(0, len(events), 4):
        assert post_webhook(stack, events[i : i + 4]).status_code == 200  # accepted: LINE will not resend
    assert line.wait_for(lambda f: sum(bool(deliveries_for(f, e)) for e in events) >= 4, 60)
    for pid, _restarts in before.values():
        os.kill(pid, signal.SIGKILL)  # no shutdown hook runs: claimed events keep their leases
    answered_before = sum(bool(deliveries_for(line, e)) for e in events)
    assert answered_before < len(events), "the batch finished before the kill; nothing was tested"

    after = {name: _wait_restarted(stack, name, pid) for name, (pid, _r) in before.items()}
    assert {name: restarts for name, (_pid, restarts) in after.items()} == {
        name: restarts + 1 for name, (_pid, restarts) in before.items()
    }
    # Events claimed by the killed worker are taken over when their lease (30 s) expires.
    assert line.wait_for(lambda f: all(deliveries_for(f, e) for e in events), 120), stack.log_tail()
    wait_line_idle(stack)
    time.sleep(1.0)
    assert _answered_once(line, events) == {}
    assert sorted(_inbox_rows(stack, events)) == sorted((e["webhookEventId"], DONE) for e in events)
    assert {name: _child(stack, name) for name in after} == after  # and they stay up
