"""Rasa killed (SIGKILL) under the real launcher: the gateway answers politely that the service is temporarily
unavailable and still stores the message, on the web API and on LINE; the launcher restarts Rasa by itself and
normal answers come back.

One stack for the module (starting one costs a minute or more of CPU); the fake LINE API is on loopback.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from fault_support import ACCESS_TOKEN, CHANNEL_SECRET
from sqlalchemy import text

from bot.chat import UNAVAILABLE
from bot.run.devstack import StackError, StackProcess, start_stack
from channels.line.fake import FakeLine, signed_headers, text_event, webhook_body
from tests.e2e.stack_support import stack_db

pytestmark = [pytest.mark.stack, pytest.mark.slow]

QUESTION = "住民票はどこで取れますか"


@pytest.fixture(scope="module")
def line_api() -> Iterator[FakeLine]:
    with FakeLine(access_token=ACCESS_TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, line_api: FakeLine) -> Iterator[StackProcess]:
    try:
        running = start_stack(
            tmp_path_factory.mktemp("faults") / "var",
            LINE_CHANNEL_SECRET=CHANNEL_SECRET,
            LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
            LINE_API_BASE_URL=line_api.base_url,
            LINE_DATA_API_BASE_URL=line_api.base_url,
        )
    except StackError as exc:
        pytest.fail(str(exc))
    yield running
    assert running.stop() == 0, running.log_tail(2000)


def stored(stack: StackProcess, sql: str, **params: object) -> list[tuple]:
    with stack_db(stack) as session:
        return [tuple(r) for r in session.execute(text(sql), params)]


def test_rasa_killed_polite_fallback_stored_and_restarted(stack: StackProcess, line_api: FakeLine) -> None:
    before = stack.chat("fault-warm", QUESTION).json()
    assert before["faq_id"] and not before["fallback"]
    rasa = stack.children()["rasa"]
    assert rasa["restarts"] == 0 and psutil.pid_exists(rasa["pid"])

    last = stored(stack, "SELECT coalesce(max(id), 0) FROM messages")[0][0]

    os.kill(rasa["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while stack.healthy():  # until the gateway notices
        assert time.monotonic() < deadline, "Rasa still answers after SIGKILL"
        time.sleep(0.2)

    # Web: a polite Japanese answer, and the message is kept.
    response = stack.chat("fault-web", "ごみの出し方を教えてください")
    assert response.status_code == 200
    body = response.json()
    assert body["fallback"] and body["replies"][0]["text"].startswith(UNAVAILABLE), body
    assert "電話" in body["replies"][0]["text"]  # where to call meanwhile
    rows = stored(stack, "SELECT direction, text FROM messages WHERE id > :last ORDER BY id", last=last)
    assert rows[0] == ("in", "ごみの出し方を教えてください") and rows[1][0] == "out"
    assert rows[1][1].startswith(UNAVAILABLE)

    # LINE: the webhook is still acknowledged at once and the resident gets the same polite answer.
    body_bytes = webhook_body([text_event("粗大ごみの申し込み", "U" + "3" * 32)])
    ack = httpx.post(
        f"{stack.url}/line/webhook",
        content=body_bytes,
        headers=signed_headers(CHANNEL_SECRET, body_bytes),
        timeout=5,
    )
    assert ack.status_code == 200
    assert line_api.wait_for(lambda f: any(t.startswith(UNAVAILABLE) for t in f.delivered_texts()), 30)
    assert stored(stack, "SELECT count(*) FROM messages WHERE channel = 'line' AND direction = 'in'") == [
        (1,)
    ]

    # The launcher restarts Rasa; normal answers come back without anyone doing anything.
    assert stack.wait_healthy(300), stack.log_tail()
    restarted = stack.children()["rasa"]
    assert restarted["restarts"] == 1 and restarted["pid"] != rasa["pid"]
    assert "rasa exited" in stack.log_tail(20_000) and "restarting (1/5)" in stack.log_tail(20_000)
    after = stack.chat("fault-web", QUESTION).json()
    assert after["faq_id"] == before["faq_id"] and not after["fallback"]
    assert Path(stack.data_dir / "logs" / "rasa.log").exists()
