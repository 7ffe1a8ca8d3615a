"""action_greet / action_thanks / action_goodbye: small talk, unless the message was a question the FAQ finds."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from actions.smalltalk import ActionGoodbye, ActionGreet, ActionThanks
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


@pytest.mark.parametrize(
    ("action", "plain", "response"),
    [
        (ActionThanks, "ありがとうございました", "utter_thanks"),
        (ActionGoodbye, "さようなら", "utter_goodbye"),
    ],
)
def test_thanks_and_goodbye_are_small_talk_only_when_that_is_all(
    tmp_path: Path, action: type, plain: str, response: str
) -> None:
    for decision in ("unknown", "choose", "answer"):
        env = make_env(
            tmp_path, datetime(2026, 11, 23, 10, 0), searcher=ScriptedSearcher(decision, HITS, [ENTRY])
        )
        _, messages, _ = env.run(action(env.rt), plain, intent=action.kind)
        assert [m.get("response") for m in messages] == [response] and metas(messages) == []
        # 「畑にクマの足跡があって怖くてね」 taken for a goodbye: what the FAQ action would do for it
        visible, messages, _ = env.run(action(env.rt), "粗大ごみってどうやって出すの", intent=action.kind)
        shown = {"unknown": [], "choose": [{"candidates": ["q-1", "q-2"], "kind": "choose"}]}
        if decision == "answer":
            assert visible == ENTRY.answer and metas(messages)[0]["faq_id"] == "q-1"
        else:
            assert metas(messages) == shown[decision]
            assert (response in [m.get("response") for m in messages]) == (decision == "unknown")
