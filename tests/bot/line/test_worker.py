"""The inbox worker: leases survive crashes, two workers never double-process, the webhook never waits."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import anyio
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.chat import ChatService
from bot.line.inbox import LineInbox
from bot.line.worker import LineOptions, LineWorker
from bot.storage import line_inbox as inbox
from bot.storage.db import make_engine, session_factory, transaction
from bot.storage.line_inbox import LineInboxRow
from channels.line.client import LineClient
from channels.line.events import from_dict
from channels.line.fake import FakeLine, signed_headers, text_event, webhook_body
from tests.support.line import ACCESS_TOKEN, CHANNEL_SECRET, FAST, StubRasa, line_settings, make_line_app

SECRET = "test-secret-key-not-for-production"
LEASE = 1.5


class HangingRasa(StubRasa):
    """A Rasa that never answers: the process 'dies' while waiting for it."""

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
        self.calls.append({"sender": sender, "text": text, "metadata": metadata})
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def _worker(factory, rasa: StubRasa, fake: FakeLine, lease_s: float = 0.5) -> LineWorker:  # type: ignore[no-untyped-def]
    chat = ChatService(factory, rasa, SECRET)  # type: ignore[arg-type]
    sender = LineClient(ACCESS_TOKEN, fake.base_url, fake.base_url, FAST)
    options = LineOptions(lease_s=lease_s, poll_s=0.05, retry_base_s=0.05, policy=FAST)
    return LineWorker(factory, chat, sender, None, options)


def _statuses(factory) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return dict(
            session.execute(select(LineInboxRow.status, func.count()).group_by(LineInboxRow.status)).all()
        )


def test_crash_mid_processing_every_event_answered_once(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    events = [text_event(f"質問{i}", f"U{i:032d}") for i in range(20)]
    good = StubRasa()

    async def scenario() -> None:
        accept = LineInbox(
            factory, lambda uid: ChatService(factory, good, SECRET).resident_key("line", uid)
        ).accept
        assert await accept([from_dict(e) for e in events]) == 20
        # Crash type 1: a worker dies while waiting for Rasa (its tasks vanish, its leases stay).
        hanging = HangingRasa()
        dying = _worker(factory, hanging, fake_line, lease_s=LEASE)
        await dying._claim_and_spawn(8)
        with anyio.fail_after(10):
            while len(hanging.calls) < 8:
                await asyncio.sleep(0.01)
        for task in list(dying._tasks):
            task.cancel()
        # Crash type 2: five events answered (outbox saved) by a worker that died before sending.
        with transaction(factory) as session:
            claimed = inbox.claim(session, "dead-worker", LEASE, limit=5)
            for row in claimed:
                inbox.save_outbox(
                    session, row.id, "dead-worker", [{"type": "text", "text": f"saved {row.id}"}]
                )
        assert _statuses(factory)[inbox.PROCESSING] == 13
        # A new worker comes up: pending events now, leased ones once the leases expire.
        survivor = _worker(factory, good, fake_line)
        await survivor.run_until_idle()
        await asyncio.sleep(LEASE + 0.1)
        await survivor.run_until_idle()
        # The dead worker's token can no longer touch the rows.
        with transaction(factory) as session:
            assert not inbox.complete(session, claimed[0].id, "dead-worker")

    anyio.run(scenario)
    assert _statuses(factory) == {inbox.DONE: 20}
    assert len(fake_line.delivered) == 20
    by_token = {d["reply_token"] for d in fake_line.delivered}
    assert by_token == {e["replyToken"] for e in events}  # each event answered exactly once
    assert len(good.calls) == 15  # the five answered before the crash were not asked again
    assert sum(t.startswith("saved ") for t in fake_line.delivered_texts()) == 5


def test_two_workers_share_the_inbox_without_double_processing(
    db_url: str,
    factory,  # type: ignore[no-untyped-def]
    fake_line: FakeLine,
) -> None:
    events = [text_event(f"u{u}-{k}", f"U{u:032d}") for k in range(3) for u in range(20)]
    rasa_a, rasa_b = StubRasa(), StubRasa()
    engine_b = make_engine(db_url)
    factory_b = session_factory(engine_b)

    async def scenario() -> None:
        accept = LineInbox(
            factory, lambda uid: ChatService(factory, rasa_a, SECRET).resident_key("line", uid)
        ).accept
        assert await accept([from_dict(e) for e in events]) == 60
        a = _worker(factory, rasa_a, fake_line, lease_s=30)
        b = _worker(factory_b, rasa_b, fake_line, lease_s=30)
        await asyncio.gather(a.run_until_idle(), b.run_until_idle())

    try:
        anyio.run(scenario)
    finally:
        engine_b.dispose()
    assert _statuses(factory) == {inbox.DONE: 60}
    assert len(fake_line.delivered) == 60
    assert len(rasa_a.calls) + len(rasa_b.calls) == 60
    assert sorted(fake_line.delivered_texts()) == sorted(f"answer: {e['message']['text']}" for e in events)


def test_transient_failure_is_retried_later_then_delivered(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    fake_line.inject("reply", 500, 500)  # the reply and its probe
    fake_line.inject("push", 503, 503, 503, 503)  # the whole first attempt fails
    rasa = StubRasa()

    async def scenario() -> None:
        accept = LineInbox(factory, lambda uid: "line-x").accept
        await accept([from_dict(text_event("再送して"))])
        worker = _worker(factory, rasa, fake_line)
        await worker.run_until_idle()
        assert _statuses(factory) == {inbox.PENDING: 1}
        await asyncio.sleep(0.1)
        await worker.run_until_idle()

    anyio.run(scenario)
    assert _statuses(factory) == {inbox.DONE: 1}
    assert len(fake_line.delivered) == 1 and len(rasa.calls) == 1  # the answer was saved, not asked again
    keys = {c.retry_key for c in fake_line.calls_of("push")}
    assert len(keys) == 1


def test_webhook_answers_fast_while_line_hangs(tmp_path: Path, fake_line: FakeLine) -> None:
    fake_line.inject("reply", "hang", "hang", "hang")
    fake_line.inject("push", "hang", "hang", "hang")
    app = make_line_app(line_settings(tmp_path, fake_line), StubRasa())
    with TestClient(app) as client:
        warm = webhook_body([])  # FastAPI builds its routing state on the first request (~0.5 s, not ours)
        client.post("/line/webhook", content=warm, headers=signed_headers(CHANNEL_SECRET, warm))
        times = []
        for i in range(3):
            body = webhook_body([text_event(f"急ぎ{i}", f"U{i:032d}")])
            start = time.monotonic()
            response = client.post(
                "/line/webhook", content=body, headers=signed_headers(CHANNEL_SECRET, body)
            )
            times.append(time.monotonic() - start)
            assert response.status_code == 200
        assert max(times) < 1.0, times  # while each answer takes > 1.5 s (timeouts on a hanging LINE)
        wanted = {f"answer: 急ぎ{i}" for i in range(3)}
        # Every resident gets the answer. (When both a reply and its probe time out, the late reply and the
        # push may both land: the one duplicate LINE's API leaves no way to rule out; see channels/line/sender.)
        assert fake_line.wait_for(lambda f: set(f.delivered_texts()) >= wanted, 20), fake_line.delivered


def _die_after_delivery(factory, fake: FakeLine, answer: str) -> tuple[list[dict[str, Any]], Any]:  # type: ignore[no-untyped-def]
    """An event whose worker delivered `answer` and died before recording it; returns (events, scenario)."""
    events = [text_event("一度だけ答えて", "U" + "1" * 32)]
    outbox = [{"type": "text", "text": answer}]

    class DyingSender(LineClient):
        """Delivers like LINE's client, then the process 'dies' (hangs until its task is cancelled)."""

        async def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> None:
            await super().reply(reply_token, messages)
            await asyncio.Event().wait()

        async def push(self, *args: Any, **kwargs: Any) -> Any:
            await super().push(*args, **kwargs)
            await asyncio.Event().wait()

    async def scenario() -> None:
        await LineInbox(factory, lambda uid: "line-x").accept([from_dict(e) for e in events])
        with transaction(factory) as session:  # answered earlier: only the sending is left
            row = inbox.claim(session, "first", LEASE, limit=1)[0]
            inbox.save_outbox(session, row.id, "first", outbox)
            inbox.release(session, "first")
        chat = ChatService(factory, StubRasa(), SECRET)  # type: ignore[arg-type]
        options = LineOptions(lease_s=LEASE, poll_s=0.05, retry_base_s=0.05, policy=FAST)
        dying = LineWorker(
            factory, chat, DyingSender(ACCESS_TOKEN, fake.base_url, fake.base_url, FAST), None, options
        )
        await dying._claim_and_spawn(1)
        with anyio.fail_after(10):
            while not fake.delivered:
                await asyncio.sleep(0.01)
        for task in list(dying._tasks):  # the crash: tasks gone, lease left behind
            task.cancel()
        await asyncio.sleep(LEASE + 0.1)
        await _worker(factory, StubRasa(), fake).run_until_idle()

    return events, scenario


def test_crash_right_after_the_reply_reached_line_does_not_answer_twice(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    _events, scenario = _die_after_delivery(factory, fake_line, "返信は一度だけ")
    anyio.run(scenario)
    assert _statuses(factory) == {inbox.DONE: 1}
    assert fake_line.delivered_texts() == ["返信は一度だけ"], fake_line.delivered


def test_crash_right_after_the_fallback_push_does_not_answer_twice(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    fake_line.inject(
        "reply", 500, 500
    )  # the reply and its probe fail (the token stays unused); the push lands
    _events, scenario = _die_after_delivery(factory, fake_line, "プッシュも一度だけ")
    anyio.run(scenario)
    assert _statuses(factory) == {inbox.DONE: 1}
    assert fake_line.delivered_texts() == ["プッシュも一度だけ"], fake_line.delivered
    assert len(fake_line.calls_of("reply")) == 2  # the resumed event did not reply: it resent the push
    pushes = fake_line.calls_of("push")
    assert [c.status for c in pushes] == [200, 409] and len({c.retry_key for c in pushes}) == 1


def _store_events(factory, rasa: StubRasa, n: int = 5) -> None:  # type: ignore[no-untyped-def]
    intake = LineInbox(factory, lambda uid: ChatService(factory, rasa, SECRET).resident_key("line", uid))
    events = [from_dict(text_event(f"質問{i}", f"U{i:032d}")) for i in range(n)]
    assert asyncio.run(intake.accept(events)) == n


def test_answering_waits_until_a_burst_of_webhooks_pauses(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    rasa = StubRasa()
    worker = _worker(factory, rasa, fake_line)
    worker.options.burst_quiet_s, worker.options.burst_max_defer_s = 0.3, 10.0
    _store_events(factory, rasa)

    async def scenario() -> tuple[int, float]:
        worker.start()
        started = time.perf_counter()
        for _ in range(8):  # webhooks keep arriving for 0.8 s
            worker.wake()
            await asyncio.sleep(0.1)
        during = len(rasa.calls)
        while len(fake_line.delivered) < 5 and time.perf_counter() - started < 10:
            await asyncio.sleep(0.02)
        await worker.stop()
        return during, time.perf_counter() - started

    during, answered_after = asyncio.run(scenario())
    assert during == 0  # nothing answered while they were arriving
    assert len(fake_line.delivered) == 5 and answered_after < 5  # all answered right after the pause


def test_continuous_webhooks_are_answered_after_the_longest_wait(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    rasa = StubRasa()
    worker = _worker(factory, rasa, fake_line)
    worker.options.burst_quiet_s, worker.options.burst_max_defer_s = 0.3, 0.5
    _store_events(factory, rasa)

    async def scenario() -> int:
        worker.start()
        for _ in range(30):  # 3 s without a pause
            worker.wake()
            await asyncio.sleep(0.1)
        answered = len(fake_line.delivered)
        await worker.stop()
        return answered

    assert asyncio.run(scenario()) == 5
