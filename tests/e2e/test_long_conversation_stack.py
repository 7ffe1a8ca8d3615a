"""Issue 19: a resident who keeps talking. The 400th turn of one conversation costs what the first did, because
the channel starts a new Rasa session after `MADOGUCHI_SESSION_MAX_TURNS` (30) messages (bot/nlu/channel.py);
the area carries over, and a report being filed is never cut in half.

Its own stack (defaults, the per-address chat limit lifted: one test client asks 460 questions in a minute)."""

from __future__ import annotations

import sqlite3
import statistics
import time
import uuid
from collections.abc import Iterator

import pytest

from bench.chatload import QuestionPool
from bot.run.devstack import StackError, StackProcess, start_stack

pytestmark = [pytest.mark.stack, pytest.mark.slow]

MAX_TURNS = 30  # the default of MADOGUCHI_SESSION_MAX_TURNS
AREA_QUESTION = "お住まいの地区を教えてください"
# Questions that start nothing (no form, no area question): filler between the steps of a test.
FILLER = ["住民票の写しはどこで取れますか", "児童手当の申請方法は？", "マイナンバーカードを作りたい"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    try:
        running = start_stack(
            tmp_path_factory.mktemp("long") / "var", MADOGUCHI_CHAT_RATE_PER_MINUTE="1000000"
        )
    except StackError as exc:
        pytest.fail(str(exc))
    yield running
    assert running.stop() == 0, running.log_tail(2000)


def ask(stack: StackProcess, sender: str, text: str) -> dict:
    response = stack.chat(sender, text)
    assert response.status_code == 200, response.text
    return dict(response.json())


def said(body: dict) -> str:
    return "\n".join(r["text"] for r in body["replies"])


def sessions_of_busiest(stack: StackProcess) -> tuple[int, int]:
    """(user messages, sessions started) of the conversation with the most messages in Rasa's tracker store."""
    with sqlite3.connect(stack.data_dir / "rasa_tracker.db") as db:
        row = db.execute(
            "SELECT sum(type_name = 'user' AND coalesce(intent_name, '') != 'session_start'),"
            " sum(type_name = 'session_started') FROM events GROUP BY sender_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    return int(row[0]), int(row[1])


def test_the_400th_turn_costs_what_the_first_did(stack: StackProcess) -> None:
    pool = QuestionPool()
    sender = f"long-{uuid.uuid4().hex[:8]}"
    for text in FILLER:  # warm every path before timing
        ask(stack, f"warm-{uuid.uuid4().hex[:6]}", text)
    latencies = []
    for _ in range(400):
        started = time.perf_counter()
        ask(stack, sender, pool.take())
        latencies.append(time.perf_counter() - started)
    first, last = statistics.median(latencies[:50]), statistics.median(latencies[-50:])
    assert last / first <= 1.5, f"turns 1–50 median {first * 1000:.0f} ms, turns 351–400 {last * 1000:.0f} ms"
    messages, sessions = sessions_of_busiest(stack)
    assert messages == 400
    # a new session every 30 messages, except while a report form or a question was open
    assert sessions >= 400 // MAX_TURNS - 3, sessions


def test_the_area_carries_over_into_the_next_session(stack: StackProcess) -> None:
    sender = f"area-{uuid.uuid4().hex[:8]}"
    assert "中央地区" in said(ask(stack, sender, "中央地区のごみの日"))
    for i in range(MAX_TURNS + 2):
        ask(stack, sender, FILLER[i % len(FILLER)])
    answer = said(ask(stack, sender, "プラスチックの日はいつ？"))
    assert AREA_QUESTION not in answer and "中央地区" in answer, answer


def test_a_report_being_filed_when_the_session_is_full_is_finished(stack: StackProcess) -> None:
    sender = f"report-{uuid.uuid4().hex[:8]}"
    for i in range(MAX_TURNS - 1):
        ask(stack, sender, FILLER[i % len(FILLER)])
    assert "写真" in said(ask(stack, sender, "道路に穴があいています"))  # message 30: the form opens
    ask(stack, sender, "写真はありません")  # messages 31–34 go on in the same session
    ask(stack, sender, "本町2丁目の交差点の近くです")
    summary = said(ask(stack, sender, "直径30センチくらいの穴です"))
    assert "よろしいですか" in summary, summary
    done = ask(stack, sender, "はい")
    assert done.get("report_id") and done["report_id"] in said(done), said(done)
