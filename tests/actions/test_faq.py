"""action_search_faq: answer / choose / unknown, what is logged for staff, and when the strict bar applies."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.faq import ActionHumanContact, ActionSearchFaq
from actions.faq_answer import STRICT_OOS_CONFIDENCE
from bot.storage.models import Unanswered
from knowledge.kb import FaqEntry
from knowledge.search import Hit
from tests.support.citydata import CityEnv, ScriptedSearcher, make_env, metas, responses

ENTRY = FaqEntry(
    id="cert-001",
    question="住民票の写しはどこで取れますか？",
    answer="住民票の写しは市民課の窓口とコンビニで取れます。",
    url="https://example.jp/juminhyo",
)
HITS = [
    Hit("cert-001", 0.81, "住民票の写しはどこで取れますか？"),
    Hit("cert-002", 0.78, "戸籍謄本はどこで取れますか？"),
    Hit("cert-003", 0.70, "印鑑登録証明書はどこで取れますか？"),
]


def env_with(tmp_path: Path, decision: str) -> tuple[CityEnv, ScriptedSearcher]:
    searcher = ScriptedSearcher(decision, HITS, [ENTRY])
    return make_env(tmp_path, datetime(2026, 11, 23, 10, 0), searcher=searcher), searcher


def unanswered(env: CityEnv) -> list[Unanswered]:
    with env.factory() as session:
        return list(session.scalars(select(Unanswered)))


def test_confident_match_answers_with_the_entry_and_its_link(tmp_path: Path) -> None:
    env, _ = env_with(tmp_path, "answer")
    text, messages, _ = env.run(ActionSearchFaq(env.rt), "住民票ってどこでもらえる？", intent="nlu_fallback")
    assert text == ENTRY.answer
    assert metas(messages) == [
        {"faq_id": "cert-001", "kind": "faq", "link": {"label": "詳しくはこちら", "url": ENTRY.url}}
    ]
    assert unanswered(env) == []


def test_validity_windows_are_judged_on_the_city_date(tmp_path: Path) -> None:
    # the city clock of these tests is 2026-11-23 10:00 Japan time (MADOGUCHI_CLOCK in rehearsals), whatever
    # the server's own date or time zone
    env, searcher = env_with(tmp_path, "answer")
    env.run(ActionSearchFaq(env.rt), "住民票ってどこでもらえる？", intent="nlu_fallback")
    assert searcher.calls[0]["today"] == date(2026, 11, 23)


def test_close_candidates_offer_choices_and_a_person_and_are_logged(tmp_path: Path) -> None:
    env, _ = env_with(tmp_path, "choose")
    text, messages, _ = env.run(
        ActionSearchFaq(env.rt), "証明書がほしい 090-1234-5678", intent="ask_city_service"
    )
    assert "どれに近いですか？" in text and responses(messages) == ["utter_faq_choose"]
    titles = [b["title"] for m in messages for b in (m.get("buttons") or [])]
    assert len(titles) == 4 and titles[-1] == "担当者に問い合わせたい"
    assert metas(messages)[0]["candidates"] == ["cert-001", "cert-002", "cert-003"]
    (row,) = unanswered(env)
    assert row.reason == "choose" and row.candidates[0] == {"faq_id": "cert-001", "score": 0.81}
    assert "1234-5678" not in row.text  # the phone number is masked before staff see it


def test_no_reliable_match_says_so_gives_the_counter_and_logs(tmp_path: Path) -> None:
    env, _ = env_with(tmp_path, "unknown")
    text, messages, _ = env.run(
        ActionSearchFaq(env.rt), "市役所の屋上で花火をしてもいいですか", intent="nlu_fallback"
    )
    assert "確実にお答えできる情報が見つかりませんでした" in text
    assert env.settings.contact_phone in text and responses(messages) == ["utter_faq_unknown"]
    assert metas(messages) == [{"fallback": True, "kind": "unknown"}]
    (row,) = unanswered(env)
    assert row.reason == "unknown" and row.candidates == []


def test_english_question_gets_english_framing(tmp_path: Path) -> None:
    env, _ = env_with(tmp_path, "unknown")
    text, _, _ = env.run(
        ActionSearchFaq(env.rt), "Where can I get a residence certificate?", intent="nlu_fallback"
    )
    assert text.startswith("Sorry, I could not find a reliable answer")


@pytest.mark.parametrize(
    ("intent", "confidence", "strict"),
    [
        ("out_of_scope", 0.95, True),
        ("out_of_scope", STRICT_OOS_CONFIDENCE, True),
        ("out_of_scope", 0.59, False),  # DIET unsure: a long procedural question, searched normally
        ("nlu_fallback", 0.55, False),
        ("ask_city_service", 0.99, False),
    ],
)
def test_strict_bar_only_when_nlu_is_sure_the_message_is_off_topic(
    tmp_path: Path, intent: str, confidence: float, strict: bool
) -> None:
    env, searcher = env_with(tmp_path, "unknown")
    tracker_intent = {"name": intent, "confidence": confidence}
    tracker = Tracker(
        sender_id="web-1", slots={}, latest_message={"text": "年金の切り替え", "intent": tracker_intent,
        "entities": [], "metadata": {"channel": "web"}}, events=[], paused=False, followup_action=None,
        active_loop={}, latest_action_name=None,
    )  # fmt: skip
    asyncio.run(ActionSearchFaq(env.rt).run(CollectingDispatcher(), tracker, {}))
    assert searcher.calls == [{"text": "年金の切り替え", "strict": strict, "today": date(2026, 11, 23)}]


def test_human_contact_gives_the_counter(tmp_path: Path) -> None:
    env, _ = env_with(tmp_path, "unknown")
    text, messages, _ = env.run(ActionHumanContact(env.rt), "人と話したい", intent="request_human")
    assert env.settings.contact_counter in text and env.settings.contact_phone in text
    assert metas(messages) == [{"kind": "human"}] and responses(messages) == ["utter_human_contact"]


def test_a_question_taken_for_a_request_for_a_person_gets_the_sure_answer_then_the_counter(
    tmp_path: Path,
) -> None:
    env, _ = env_with(tmp_path, "answer")
    text, messages, _ = env.run(
        ActionHumanContact(env.rt), "住民票のことで窓口の人に聞きたい", intent="request_human"
    )
    assert text.startswith(ENTRY.answer) and env.settings.contact_phone in text
    assert [m.get("faq_id") for m in metas(messages)] == ["cert-001"]
    assert all(m.get("kind") != "human" for m in metas(messages))


def test_a_question_taken_for_a_request_for_a_person_gets_the_close_entries_then_the_counter(
    tmp_path: Path,
) -> None:
    env, _ = env_with(tmp_path, "choose")
    text, messages, _ = env.run(
        ActionHumanContact(env.rt), "How do I register my personal seal?", intent="request_human"
    )
    assert responses(messages)[-1] == "utter_human_contact" and env.settings.contact_phone in text
    assert metas(messages)[0]["candidates"][0] == "cert-001" and metas(messages)[-1] == {"kind": "human"}
    assert "担当者に問い合わせたい" not in str(messages)  # the counter follows: no button for a person


def _asked(question: str, bot_said: str, answer: str, response: str | None = None) -> list[dict[str, Any]]:
    return [
        {"event": "user", "text": question},
        {"event": "bot", "text": bot_said, "metadata": {"utter_action": response} if response else {}},
        {"event": "user", "text": answer},
    ]


def test_an_area_typed_after_the_area_question_is_answered_by_its_topic(tmp_path: Path) -> None:
    env, searcher = env_with(tmp_path, "unknown")
    garbage_asked = "お住まいの地区を教えてください。次の中から選ぶか、町名を送ってください。"
    history = _asked("明日は燃えるごみの日ですか", garbage_asked, "本町です", "utter_ask_garbage_area")
    text, _, _ = env.run(ActionSearchFaq(env.rt), "本町です", intent="nlu_fallback", history=history)
    assert "中央地区のごみ収集日です" in text and "明日11月24日（火）" in text  # 本町 is in 中央地区
    assert env.slots["garbage_area"] == "中央地区" and searcher.calls == []

    snow_asked = "除雪の状況を調べる地区を教えてください。"
    history = _asked("除雪はまだですか", snow_asked, "山手地区", "utter_ask_snowplow_area")
    text, _, _ = env.run(ActionSearchFaq(env.rt), "山手地区", intent="nlu_fallback", history=history)
    assert "現在は除雪期間外です" in text and searcher.calls == []  # 23 November: the snow action answered

    # Not right after an area question, or not an area: the FAQ search as usual.
    history = _asked("こんにちは", "こんにちは。市の「まどぐち」です。", "本町です")
    env.run(ActionSearchFaq(env.rt), "本町です", intent="nlu_fallback", history=history)
    history = _asked("明日は燃えるごみの日ですか", garbage_asked, "粗大ごみの料金", "utter_ask_garbage_area")
    env.run(ActionSearchFaq(env.rt), "粗大ごみの料金", intent="nlu_fallback", history=history)
    assert [c["text"] for c in searcher.calls] == ["本町です", "粗大ごみの料金"]
