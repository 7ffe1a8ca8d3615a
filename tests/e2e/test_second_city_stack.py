"""End to end with another city: the launcher-started stack run from a second fictional city's folder
(`MADOGUCHI_CITY_DIR=tests/data/cities/kawabe`, かわべ町) answers every topic over the chat API, and no text,
phone number or URL of the demo city reaches its residents (issue 15)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.run.devstack import StackError, StackProcess, start_stack
from tests.e2e.stack_support import CLOCK

pytestmark = [pytest.mark.stack, pytest.mark.slow]
KAWABE = Path(__file__).resolve().parents[1] / "data" / "cities" / "kawabe"
DEMO_STRINGS = ("みどり野", "midorino", "000-0000-", "0120-000-")
QUESTIONS = [
    "こんにちは",
    "住民票の写しはどこで取れますか？",
    "粗大ごみはどう出しますか？",
    "川辺のごみの日は？",
    "明日のごみは？",
    "生ごみは何ごみ？",
    "ふにゃほげはどう捨てる？",
    "今度の日曜の当番医は？",
    "夜に子どもが熱を出したら病院は？",
    "住民票の担当はどこ？",
    "除雪車来た？",
    "道路に穴があいています",
    "キャンセル",
    "通報の状況を知りたい",
    "ごみの日を通知して",
    "人と話したい",
    "ふにゃほげについて教えて",
    "ありがとう",
]


@pytest.fixture(scope="module")
def kawabe_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    try:
        running = start_stack(
            tmp_path_factory.mktemp("kawabe") / "var", MADOGUCHI_CITY_DIR=str(KAWABE), MADOGUCHI_CLOCK=CLOCK
        )
    except StackError as exc:
        pytest.fail(str(exc))
    yield running
    assert running.stop() == 0, running.log_tail(2000)


def test_every_answer_speaks_for_the_loaded_city_only(kawabe_stack: StackProcess) -> None:
    sender = f"kawabe-{uuid.uuid4().hex[:8]}"
    sent: list[str] = []
    for question in QUESTIONS:
        response = kawabe_stack.chat(sender, question)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["replies"] and all(r["text"] for r in body["replies"]), (question, body)
        sent.append(json.dumps(body, ensure_ascii=False))
    config = httpx.get(f"{kawabe_stack.url}/api/v1/widget-config", timeout=10)
    sent.append(config.text)
    found = {s: [t for t in sent if s in t][:2] for s in DEMO_STRINGS if any(s in t for t in sent)}
    assert found == {}, found


def test_the_city_faq_answers(kawabe_stack: StackProcess) -> None:
    body = kawabe_stack.chat(f"kawabe-{uuid.uuid4().hex[:8]}", "住民票の写しはどこで取れますか？").json()
    assert body["faq_id"] == "K-001" or "K-001" in body["candidates"], body
    text = " ".join(r["text"] for r in body["replies"])
    assert "かわべ町" in text or "K-001" in body["candidates"], body
