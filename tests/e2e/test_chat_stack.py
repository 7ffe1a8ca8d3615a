"""End to end: launcher + Rasa + action server + gateway, real model and KB, over HTTP."""

from __future__ import annotations

import csv
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.stack, pytest.mark.slow]
HERE = Path(__file__).parent


def load_paraphrases() -> list[tuple[str, str | None]]:
    with open(HERE / "paraphrases.csv", encoding="utf-8") as f:
        return [(row["query"], row["expected_id"] or None) for row in csv.DictReader(f)]


PARAPHRASES = load_paraphrases()


def test_paraphrase_set_shape() -> None:
    in_scope = [q for q, e in PARAPHRASES if e]
    out_scope = [q for q, e in PARAPHRASES if not e]
    assert len(in_scope) >= 30 and len(out_scope) >= 10


def test_health(stack: Stack) -> None:
    import httpx

    body = httpx.get(f"{stack.url}/healthz", timeout=5).json()
    assert body == {"status": "ok", "rasa": True, "actions": True, "line_worker": True}


@pytest.mark.parametrize(("query", "expected"), PARAPHRASES, ids=[q[:20] for q, _ in PARAPHRASES])
def test_paraphrased_question_gets_expected_faq(stack: Stack, query: str, expected: str | None) -> None:
    response = stack.chat(f"e2e-{uuid.uuid4().hex[:8]}", query)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["replies"] and all(r["text"] for r in body["replies"])
    if expected is None:
        assert body["faq_id"] is None, body
        assert body["fallback"] or body["candidates"] or body["intent"] in {"greet", "thanks", "goodbye"}
    else:
        # The calibrated decision answers when it is sure and otherwise offers the close entries: the right
        # entry is answered, or among the offered ones. (How often it answers outright: the test below.)
        assert body["faq_id"] == expected or (body["faq_id"] is None and expected in body["candidates"]), body


MIN_ANSWERED_OUTRIGHT = (
    0.70  # measured 2026-12-06 on this set: 0.733 (the hand-tuned search: 1.000; it was tuned on it)
)


def test_most_paraphrases_are_answered_outright(stack: Stack) -> None:
    in_scope = [(q, e) for q, e in PARAPHRASES if e]
    answered = sum(stack.chat(f"e2e-{uuid.uuid4().hex[:8]}", q).json()["faq_id"] == e for q, e in in_scope)
    assert answered / len(in_scope) >= MIN_ANSWERED_OUTRIGHT, f"{answered}/{len(in_scope)} answered outright"


def test_readme_curl_example(stack: Stack) -> None:
    body = stack.chat("a", "住民票はどこで取れますか").json()
    assert body["faq_id"] and body["faq_id"].startswith("cert-"), body
    assert "住民票" in body["replies"][0]["text"]


def test_greeting_is_dialogue_not_faq(stack: Stack) -> None:
    body = stack.chat(f"g-{uuid.uuid4().hex[:6]}", "こんにちは").json()
    assert body["intent"] == "greet" and body["faq_id"] is None and not body["fallback"]


@pytest.mark.parametrize(
    "payload",
    [
        {"sender_id": "x", "text": ""},
        {"sender_id": "x", "text": "あ" * 1001},
        {"sender_id": "", "text": "住民票"},
        {"text": "住民票"},
        {"sender_id": "x", "text": "住民票", "unknown": 1},
    ],
)
def test_bad_input_is_refused_with_a_clear_message(stack: Stack, payload: dict) -> None:
    import httpx

    response = httpx.post(f"{stack.url}/api/v1/chat", json=payload, timeout=10)
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


def test_bad_json_is_refused(stack: Stack) -> None:
    import httpx

    response = httpx.post(
        f"{stack.url}/api/v1/chat",
        content=b"{not json",
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 422 and response.json()["detail"]


def _ask_until(stack: Stack, question: str, want_id: str, want_text: str, within: float) -> float:
    started = time.monotonic()
    last = None
    while time.monotonic() - started < within + 5:
        last = stack.chat(f"live-{uuid.uuid4().hex[:6]}", question).json()
        if last["faq_id"] == want_id and want_text in last["replies"][0]["text"]:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"not answered with {want_id}/{want_text!r}: {last}")


def test_faq_edited_by_cli_is_answered_within_two_seconds(stack: Stack, tmp_path: Path) -> None:
    question = "みどり野市の公式マスコットキャラクターの名前を教えてください"
    header = "id,question,answer,category,department,url\n"
    first = tmp_path / "new.csv"
    first.write_text(
        header + f"e2e-mascot,{question},マスコットの名前は「みどりん」です。,施設,総務課,"
        "https://www.city.midorino.example/mascot\n",
        encoding="utf-8",
    )
    done = stack.cli("kb", "import", str(first))
    assert done.returncode == 0, done.stderr
    took = _ask_until(stack, question, "e2e-mascot", "みどりん", within=2.0)
    assert took <= 2.0, f"new FAQ answered only after {took:.1f} s"

    second = tmp_path / "edit.csv"
    second.write_text(
        header + f"e2e-mascot,{question},マスコットの名前は「みどりっこ」に変わりました。,施設,"
        "総務課,https://www.city.midorino.example/mascot\n",
        encoding="utf-8",
    )
    assert stack.cli("kb", "import", str(second)).returncode == 0
    took = _ask_until(stack, question, "e2e-mascot", "みどりっこ", within=2.0)
    assert took <= 2.0, f"edited FAQ answered only after {took:.1f} s"
