"""`actions.faq_answer`: one FAQ entry as the answer, in the resident's language, and `answer_if_sure`, the
FAQ's turn before a topic action's generic reply."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.faq_answer import Question, answer, answer_if_sure
from actions.runtime import Runtime
from bot.storage.models import Unanswered
from knowledge.kb import FaqEntry
from knowledge.search import Hit, SearchOutcome
from tests.support.citydata import make_env, metas, sure_of

ENTRY = FaqEntry(
    id="gomi-010",
    question="粗大ごみはどうやって出しますか？",
    answer="粗大ごみは電話かインターネットで申し込み、収集日の朝に出してください。",
    url="https://example.jp/sodai",
    translations={"ko": "대형 쓰레기는 전화나 인터넷으로 신청해 주세요."},
)
ENTRY_EN = FaqEntry(id="gomi-010", question=ENTRY.question, answer=ENTRY.answer, answer_en="Book it first.")
NOW = datetime(2026, 11, 23, 10, 0)


def tracker_for(text: str, intent: str = "ask_garbage_sorting", confidence: float = 0.97) -> Tracker:
    return Tracker(
        sender_id="line-1", slots={}, latest_message={"text": text, "intent": {"name": intent,
        "confidence": confidence}, "entities": [], "metadata": {"channel": "line"}}, events=[], paused=False,
        followup_action=None, active_loop={}, latest_action_name=None,
    )  # fmt: skip


def ask(rt: Runtime, text: str) -> tuple[bool, list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    answered = answer_if_sure(rt, dispatcher, tracker_for(text))
    return answered, dispatcher.messages


def test_question_reads_text_channel_language_and_the_strict_hint() -> None:
    question = Question.of(tracker_for("Where do I put a sofa?"))
    assert (question.text, question.channel, question.language, question.strict) == (
        "Where do I put a sofa?", "line", "en", False
    )  # fmt: skip
    assert question.phrases["more"] == "More details"
    off_topic = Question.of(tracker_for("明日の天気は？", "out_of_scope", 0.9))
    assert off_topic.strict and off_topic.language == "ja" and off_topic.phrases["more"] == "詳しくはこちら"


def test_sure_search_answers_with_the_entry_and_its_link_on_the_city_date(tmp_path: Path) -> None:
    searcher = sure_of(ENTRY)
    env = make_env(tmp_path, NOW, searcher=searcher)
    answered, messages = ask(env.rt, "粗大ごみの出し方を教えて")
    assert answered
    assert [m["text"] for m in messages if m.get("text")] == [ENTRY.answer]
    assert metas(messages) == [
        {"faq_id": "gomi-010", "kind": "faq", "link": {"label": "詳しくはこちら", "url": ENTRY.url}}
    ]
    # the topic intent is no off-topic hint: the normal bar, the city's date
    assert searcher.calls == [
        {"text": "粗大ごみの出し方を教えて", "strict": False, "today": date(2026, 11, 23)}
    ]


def test_a_search_that_finds_nothing_says_nothing(tmp_path: Path) -> None:
    env = make_env(tmp_path, NOW, searcher=sure_of(ENTRY, "unknown"))
    assert ask(env.rt, "粗大ごみの出し方を教えて") == (False, [])


def test_a_torn_search_offers_the_close_entries_and_logs_the_question(tmp_path: Path) -> None:
    """What the FAQ action would do: the chat path keeps the choices the search found (issue 14)."""
    env = make_env(tmp_path, NOW, searcher=sure_of(ENTRY, "choose"))
    done, messages = ask(env.rt, "粗大ごみの出し方を教えて")
    assert done
    assert metas(messages) == [{"candidates": ["gomi-010", "other-001"], "kind": "choose"}]
    assert [b["title"] for b in messages[0]["buttons"]][-1] == "担当者に問い合わせたい"
    assert messages[0]["response"] == "utter_faq_choose"
    with env.rt.factory() as session:
        logged = session.scalars(select(Unanswered)).all()
    assert [(u.text, u.reason) for u in logged] == [("粗大ごみの出し方を教えて", "choose")]


def test_an_entry_gone_since_the_index_was_built_says_nothing(tmp_path: Path) -> None:
    searcher = sure_of(ENTRY)
    searcher.entries.clear()
    env = make_env(tmp_path, NOW, searcher=searcher)
    assert ask(env.rt, "粗大ごみの出し方を教えて") == (False, [])


class BrokenSearcher:
    def search(self, text: str, k: int = 3, strict: bool = False, today: Any = None) -> SearchOutcome:
        raise RuntimeError("index rebuilding")

    def entry(self, faq_id: str) -> None:
        return None


def test_a_failing_search_counts_as_unsure(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = make_env(tmp_path, NOW, searcher=BrokenSearcher())
    assert ask(env.rt, "粗大ごみの出し方を教えて") == (False, [])
    assert "FAQ search failed" in caplog.text


@pytest.mark.parametrize(
    ("entry", "text", "expected"),
    [
        (ENTRY_EN, "How do I throw away a sofa?", "Book it first."),
        (ENTRY, "소파는 어떻게 버려요?", "대형 쓰레기는 전화나 인터넷으로 신청해 주세요."),
        (
            ENTRY,
            "沙发怎么扔？",
            ENTRY.answer + "\n\n（此回答只有日语版本。如需中文帮助，请联系市政府窗口。）",
        ),
    ],
)
def test_the_answer_is_in_the_residents_language_when_the_city_wrote_it(
    tmp_path: Path, entry: FaqEntry, text: str, expected: str
) -> None:
    env = make_env(tmp_path, NOW, searcher=sure_of(entry))
    dispatcher = CollectingDispatcher()
    question = Question.of(tracker_for(text))
    assert answer(env.rt, dispatcher, Hit(entry.id, 0.9, entry.question), question)
    assert dispatcher.messages[0]["text"] == expected
    assert metas(dispatcher.messages)[0]["faq_id"] == "gomi-010"
