"""A report form started by a message the city's FAQ answers for sure: the FAQ's answer, then the form's first
question (issue 14: the chat path keeps what search finds). A message that asks to report starts the form as is."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from actions.report_form import ActionAskReportCategory, ActionAskReportPhotos
from actions.reports import ActionCancelForm
from knowledge.kb import FaqEntry
from tests.support.citydata import make_env, metas, responses, sure_of

MIRROR = FaqEntry(
    id="doro-012",
    question="カーブミラーが壊れているときは？",
    answer="カーブミラーの破損は道路管理課(0120-000-000)へご連絡ください。県道のミラーは県の土木事務所です。",
)
NOW = datetime(2026, 11, 24, 10, 0)


def started(text: str) -> list[dict[str, Any]]:
    """The tracker events of a turn in which ``text`` started the report form."""
    return [
        {"event": "user", "text": text},
        {"event": "action", "name": "report_form"},
        {"event": "active_loop", "name": "report_form"},
    ]


def test_a_message_the_faq_is_sure_of_gets_its_answer_before_the_first_question(tmp_path: Path) -> None:
    env = make_env(tmp_path, NOW, searcher=sure_of(MIRROR))
    text = "交差点のカーブミラー割れてて危ないんだけど"
    visible, messages, _ = env.run(ActionAskReportPhotos(env.rt), text, history=started(text))
    assert visible.startswith(MIRROR.answer)
    assert responses(messages) == ["utter_report_after_faq", "utter_ask_report_photos"]
    assert metas(messages) == [{"faq_id": "doro-012", "kind": "faq"}]


def test_a_form_that_asks_the_category_first_gets_the_sure_answer_before_it_too(tmp_path: Path) -> None:
    env = make_env(tmp_path, NOW, searcher=sure_of(MIRROR))
    text = "カーブミラーがおかしい"
    visible, messages, _ = env.run(ActionAskReportCategory(env.rt), text, history=started(text))
    assert visible.startswith(MIRROR.answer)
    assert responses(messages) == ["utter_report_after_faq", "utter_ask_report_category"]
    env = make_env(tmp_path / "unsure", NOW, searcher=sure_of(MIRROR, "choose"))
    _, messages, _ = env.run(ActionAskReportCategory(env.rt), text, history=started(text))
    assert responses(messages) == ["utter_ask_report_category"] and metas(messages) == []


@pytest.mark.parametrize("decision", ["choose", "unknown"])
def test_an_unsure_faq_leaves_the_form_alone(tmp_path: Path, decision: str) -> None:
    env = make_env(tmp_path, NOW, searcher=sure_of(MIRROR, decision))
    text = "どうろに あなが あいてる"
    _, messages, _ = env.run(ActionAskReportPhotos(env.rt), text, history=started(text))
    assert responses(messages) == ["utter_ask_report_photos"] and metas(messages) == []


def test_asking_to_report_starts_the_form_without_the_faq(tmp_path: Path) -> None:
    searcher = sure_of(MIRROR)
    env = make_env(tmp_path, NOW, searcher=searcher)
    text = "カーブミラーが割れているので通報したい"
    _, messages, _ = env.run(ActionAskReportPhotos(env.rt), text, history=started(text))
    assert responses(messages) == ["utter_ask_report_photos"] and searcher.calls == []


def test_the_question_asked_again_later_in_the_form_has_no_faq_answer(tmp_path: Path) -> None:
    """The photo question again (the resident sent text instead of a photo): the form started turns ago."""
    searcher = sure_of(MIRROR)
    env = make_env(tmp_path, NOW, searcher=searcher)
    history = started("カーブミラー割れてる") + [{"event": "user", "text": "写真はあとで"}]
    _, messages, _ = env.run(ActionAskReportPhotos(env.rt), "写真はあとで", history=history)
    assert responses(messages) == ["utter_ask_report_photos"] and searcher.calls == []


def test_a_question_taken_for_a_cancel_with_nothing_to_cancel_gets_the_faq(tmp_path: Path) -> None:
    kokuho = FaqEntry(
        id="hoken-003", question="会社を辞めたときの国保の手続きは？", answer="14日以内に保険年金課へ。"
    )
    env = make_env(tmp_path, NOW, searcher=sure_of(kokuho, "choose"))
    _, messages, _ = env.run(ActionCancelForm(env.rt), "かいしゃ やめたら こくほの てつづき", intent="cancel")
    assert metas(messages) == [{"candidates": ["hoken-003", "other-001"], "kind": "choose"}]
    searcher = sure_of(kokuho)
    env = make_env(tmp_path, NOW, searcher=searcher)
    _, messages, _ = env.run(ActionCancelForm(env.rt), "やめる", intent="cancel")  # a plain cancel word
    assert responses(messages) == ["utter_cancel_nothing"] and searcher.calls == []
