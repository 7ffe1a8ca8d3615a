"""PostgreSQL restarted (and stopped for a while) under load: no accepted LINE event or report is lost, none is
answered twice, and the gateway recovers by itself.

The gateway runs on a real loopback port (uvicorn in a thread) against a private throwaway cluster; a stub Rasa
answers `answer: <text>` and the loopback fake LINE API counts what reaches residents. Webhooks not answered
200 are posted again with the same `webhookEventId` and `isRedelivery: true`, as LINE does.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fault_support import (
    CHANNEL_SECRET,
    OPEN311_KEY,
    LiveServer,
    PrivateCluster,
    StubRasa,
    gateway_app,
)
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions import reports as report_actions
from actions.runtime import Runtime
from bot.storage.db import make_engine, session_factory
from bot.storage.line_inbox import LineInboxRow
from bot.storage.models import Message
from bot.storage.reports import Report
from channels.line.client import RetryPolicy
from channels.line.fake import FakeLine, signed_headers, text_event, webhook_body
from tests.support.citydata import render

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

USERS = 8
PER_USER = 8
REPORTS = 24
FAST = RetryPolicy(attempts=4, base_delay_s=0.05, max_delay_s=1.0, timeout_s=2.0, connect_timeout_s=1.0)


def _post_until_accepted(server: LiveServer, event: dict, deadline: float) -> int:
    """Post one event until the gateway answers 200; returns the number of posts."""
    posts = 0
    while time.monotonic() < deadline:
        posts += 1
        body = webhook_body([event])
        try:
            response = httpx.post(
                f"{server.url}/line/webhook",
                content=body,
                headers=signed_headers(CHANNEL_SECRET, body),
                timeout=5,
            )
            if response.status_code == 200:
                return posts
        except httpx.HTTPError:
            pass
        event["deliveryContext"]["isRedelivery"] = True
        time.sleep(0.2)
    raise AssertionError(f"event {event['webhookEventId']} never accepted")


def _report(server: LiveServer, i: int) -> tuple[int, str | None]:
    response = httpx.post(
        f"{server.url}/open311/v2/requests.json",
        data={
            "api_key": OPEN311_KEY,
            "service_code": "road_damage",
            "lat": "35.0",
            "long": str(139.0 + i / 100),
            "description": f"fault report {i}",
        },
        timeout=10,
    )
    if response.status_code == 200:
        return 200, response.json()[0]["service_request_id"]
    return response.status_code, None


def _spooled_report_turn(rt: Runtime, sender: str) -> str:
    """The report form's last step (the action server's code, in-process) while the database is down."""
    tracker = Tracker(
        sender_id=sender,
        slots={
            "report_category": "road_damage",
            "report_photos": "skip",
            "report_location": "skip",
            "report_description": f"spooled during the outage {sender}",
            "report_confirm": "yes",
        },
        latest_message={"text": "はい", "intent": {}, "entities": [], "metadata": {"channel": "web"}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    asyncio.run(report_actions.ActionSubmitReport(rt).run(dispatcher, tracker, {}))
    return "\n".join(render(m) for m in dispatcher.messages)  # responses as residents read them


def test_postgres_restart_loses_nothing_and_answers_once(
    tmp_path: Path, private_pg: PrivateCluster, fake_line: FakeLine
) -> None:
    rasa = StubRasa()
    app = gateway_app(tmp_path / "var", private_pg.url, fake_line, rasa)
    events = [text_event(f"u{u}-質問{k}", f"U{u:032d}") for k in range(PER_USER) for u in range(USERS)]
    action_engine = make_engine(private_pg.url)
    rt = Runtime.assemble(app.state.services.settings, session_factory(action_engine), None)  # type: ignore[arg-type]
    accepted: list[str] = []
    reports: list[tuple[int, str | None]] = []
    spool_answers: list[str] = []
    stop_reports = threading.Event()

    with LiveServer(app) as server:

        def post_events(chunk: list[dict]) -> None:
            for event in chunk:
                _post_until_accepted(server, event, time.monotonic() + 60)
                accepted.append(event["webhookEventId"])
                time.sleep(0.05)

        def post_reports() -> None:
            i = 0
            while i < REPORTS and not stop_reports.is_set():
                reports.append(_report(server, i))
                i += 1
                time.sleep(0.1)

        with ThreadPoolExecutor(max_workers=5) as pool:
            futures = [pool.submit(post_events, events[i::4]) for i in range(4)]
            futures.append(pool.submit(post_reports))
            deadline = time.monotonic() + 30
            while len(accepted) < len(events) // 4 and time.monotonic() < deadline:
                time.sleep(0.05)
            private_pg.restart()  # every connection cut mid-load
            time.sleep(1.0)
            private_pg.stop()  # and a real outage
            spool_answers.append(_spooled_report_turn(rt, "web-spool-1"))
            time.sleep(1.5)
            private_pg.start()
            time.sleep(1.0)
            private_pg.restart()
            for future in futures:
                future.result(timeout=120)

        # Recovers by itself: every accepted event answered once, the spooled report filed, new work flows.
        def settled() -> bool:
            with app.state.services.factory() as session:
                done = session.scalar(
                    select(func.count()).select_from(LineInboxRow).where(LineInboxRow.status == "done")
                )
                spooled = session.scalar(
                    select(func.count()).select_from(Report).where(Report.reporter == "web-spool-1")
                )
            return done == len(events) and spooled == 1

        deadline = time.monotonic() + 60
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.2)
        after = text_event("復旧後の質問", "U" + "9" * 32)
        _post_until_accepted(server, after, time.monotonic() + 5)
        assert fake_line.wait_for(lambda f: "answer: 復旧後の質問" in f.delivered_texts(), 10)
        chat = server.post("/api/v1/chat", json={"sender_id": "web-after", "text": "復旧しましたか"})
        assert chat.status_code == 200 and chat.json()["replies"][0]["text"] == "answer: 復旧しましたか"
        assert _report(server, 999)[0] == 200

    action_engine.dispose()
    assert sorted(accepted) == sorted(e["webhookEventId"] for e in events)
    with app.state.services.factory() as session:
        statuses = Counter(session.scalars(select(LineInboxRow.status)))
        stored_in = Counter(session.scalars(select(Message.text).where(Message.direction == "in")))
        case_numbers = set(session.scalars(select(Report.case_number)))
        spooled = session.scalars(select(Report).where(Report.reporter == "web-spool-1")).all()
    assert statuses == {"done": len(events) + 1}, statuses
    for event in events:
        text = event["message"]["text"]
        ways = [
            (d["via"], d.get("retry_key"))
            for d in fake_line.delivered
            if any(m.get("text") == f"answer: {text}" for m in d["messages"])
        ]
        assert len(ways) == 1, (text, ways)
        assert stored_in[text] == 1, (text, stored_in[text])
    accepted_reports = [case for status, case in reports if status == 200]
    assert accepted_reports and set(accepted_reports) <= case_numbers
    assert "内容は保存しました" in spool_answers[0]
    assert len(spooled) == 1
    assert not list((tmp_path / "var" / "spool" / "reports").glob("*"))
    asked = Counter(c["text"] for c in rasa.calls)
    assert {t: n for t, n in asked.items() if n != 1} == {}  # Rasa took each turn once
    assert {status for status, _ in reports} <= {200, 503}  # refusals are clear and retryable, never a 500
