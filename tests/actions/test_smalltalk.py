"""action_greet: the greeting, unless the FAQ search is sure the message was a question (then its answer)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from actions.smalltalk import ActionGreet
from knowledge.kb import FaqEntry
from knowledge.search import Hit
from tests.support.citydata import ScriptedSearcher, make_env, metas

ENTRY = FaqEntry(id="q-1", question="粗大ごみの出し方は？", answer="粗大ごみは予約制です。", url="")
HITS = [Hit("q-1", 0.9, ENTRY.question), Hit("q-2", 0.5, "ごみの分け方は？")]


def greet(tmp_path: Path, decision: str, text: str) -> tuple[str, list[dict]]:
    env = make_env(
        tmp_path, datetime(2026, 11, 23, 10, 0), searcher=ScriptedSearcher(decision, HITS, [ENTRY])
    )
    visible, messages, _ = env.run(ActionGreet(env.rt), text, intent="greet")
    return visible, messages


@pytest.mark.parametrize("decision", ["unknown", "choose"])
def test_a_hello_gets_the_greeting_and_never_a_choice(tmp_path: Path, decision: str) -> None:
    visible, messages = greet(tmp_path, decision, "こんにちは")
    assert [m.get("response") for m in messages] == ["utter_greet"]
    assert visible.startswith("こんにちは。市の「まどぐち」です。") and metas(messages) == []


def test_a_question_taken_for_a_greeting_gets_the_sure_answer(tmp_path: Path) -> None:
    visible, messages = greet(tmp_path, "answer", "こんにちは、粗大ごみってどうやって出すの")
    assert visible == ENTRY.answer
    assert "utter_greet" not in [m.get("response") for m in messages]
    assert metas(messages)[0]["faq_id"] == "q-1"


def test_a_question_after_a_greeting_gets_the_faq_choices_when_the_search_is_torn(tmp_path: Path) -> None:
    _, messages = greet(tmp_path, "choose", "こんにちは、コンビニ交付って何時まで使えますか")
    assert "utter_greet" not in [m.get("response") for m in messages]
    assert metas(messages)[-1] == {"candidates": ["q-1", "q-2"], "kind": "choose"}
