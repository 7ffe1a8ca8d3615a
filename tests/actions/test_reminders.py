"""`action_subscribe_reminder` / `action_unsubscribe_reminder`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from actions.reminders import ActionSubscribeReminder, ActionUnsubscribeReminder
from bot.storage import citydata
from knowledge.kb import FaqEntry
from knowledge.search import Hit
from tests.support.citydata import ScriptedSearcher, make_env, metas, responses

LINE = {"channel": "line", "resident_key": "ref-123"}


def test_subscribe_and_unsubscribe_on_line(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 9, 16, 12, 0))
    text, _, _ = env.run(ActionSubscribeReminder(env.rt), "ごみの日を通知して", metadata=LINE)
    assert "地区を教えてください" in text
    text, messages, _ = env.run(ActionSubscribeReminder(env.rt), "中央地区で通知して", metadata=LINE)
    assert "通知を登録しました。中央地区のごみ収集日の前日の夕方にお知らせします" in text
    assert responses(messages) == ["utter_reminder_subscribed_garbage"] and messages[0]["area"] == "中央地区"
    _, messages, _ = env.run(ActionSubscribeReminder(env.rt), "中央地区で通知して", metadata=LINE)
    assert responses(messages) == ["utter_reminder_already_subscribed_garbage"]
    text, _, _ = env.run(ActionSubscribeReminder(env.rt), "除雪を通知して", metadata=LINE)  # area remembered
    assert "中央地区の除雪車が通過したときに" in text
    with env.factory() as session:
        subs = citydata.active_subscriptions(session, "garbage") + citydata.active_subscriptions(
            session, "snowplow"
        )
        assert {(s.kind, s.area, s.sender_ref) for s in subs} == {
            ("garbage", "中央地区", "ref-123"), ("snowplow", "中央地区", "ref-123"),
        }  # fmt: skip
    text, messages, _ = env.run(ActionUnsubscribeReminder(env.rt), "通知を停止", metadata=LINE)
    assert "通知を停止しました" in text and responses(messages) == ["utter_reminder_stopped"]
    text, messages, _ = env.run(ActionUnsubscribeReminder(env.rt), "通知を停止", metadata=LINE)
    assert "登録されている通知はありません" in text and responses(messages) == ["utter_reminder_none"]


def test_web_is_told_to_use_line(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 9, 16, 12, 0))
    text, messages, _ = env.run(ActionSubscribeReminder(env.rt), "ごみの日を通知して")
    assert responses(messages) == ["utter_reminder_line_only"]
    assert "LINE" in text and f"{env.rt.city().city.name}のLINE公式アカウント" in text
    with env.factory() as session:
        assert citydata.active_subscriptions(session, "garbage") == []


def test_a_question_taken_for_a_reminder_request_gets_the_sure_faq_answer(tmp_path: Path) -> None:
    entry = FaqEntry(id="q-7", question="転入届の期限は？", answer="引っ越してから14日以内です。", url="")
    searcher = ScriptedSearcher("answer", [Hit("q-7", 0.9, entry.question)], [entry])
    env = make_env(tmp_path, datetime(2026, 9, 16, 12, 0), searcher=searcher)
    text, messages, _ = env.run(ActionSubscribeReminder(env.rt), "転入届の期限を知らせて", metadata=LINE)
    assert text == entry.answer and metas(messages)[0]["faq_id"] == "q-7"
    # A real reminder request (it names garbage) is never taken over by the FAQ, however sure the search is.
    text, _, _ = env.run(ActionSubscribeReminder(env.rt), "ごみの日を通知して", metadata=LINE)
    assert "地区を教えてください" in text


def test_a_question_taken_for_stop_my_reminders_unsubscribes_nothing(tmp_path: Path) -> None:
    """「引っ越すので水道を止めたい」 came to the unsubscribe intent: the FAQ's entries, the reminders stay."""
    entry = FaqEntry(
        id="q-8", question="水道の使用中止の手続きは？", answer="水道課へ連絡してください。", url=""
    )
    for decision in ("answer", "choose"):
        searcher = ScriptedSearcher(
            decision, [Hit("q-8", 0.9, entry.question), Hit("q-9", 0.5, "…")], [entry]
        )
        env = make_env(tmp_path / decision, datetime(2026, 9, 16, 12, 0), searcher=searcher)
        env.run(ActionSubscribeReminder(env.rt), "中央地区のごみの日を通知して", metadata=LINE)
        _, messages, _ = env.run(
            ActionUnsubscribeReminder(env.rt), "引っ越すので水道を止めたい", metadata=LINE
        )
        assert "utter_reminder_stopped" not in responses(messages)
        assert metas(messages)[0].get("faq_id" if decision == "answer" else "candidates")
        with env.factory() as session:
            assert len(citydata.active_subscriptions(session, "garbage")) == 1
        _, messages, _ = env.run(ActionUnsubscribeReminder(env.rt), "通知を停止", metadata=LINE)
        assert responses(messages) == ["utter_reminder_stopped"]
        with env.factory() as session:
            assert citydata.active_subscriptions(session, "garbage") == []
