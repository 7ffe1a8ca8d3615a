"""The satisfaction check on LINE: added to a chat answer when `satisfaction_due` says so (the answer's own
buttons kept), recorded 1–5 by postback, not asked again within a week, never over a card or a report form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.messages import default_messages
from bot.storage.db import transaction, utcnow
from bot.storage.models import Message
from bot.storage.surveys import SatisfactionAsk, SatisfactionScore
from bot.surveys.line import satisfaction_choices
from channels.line.fake import message_problems
from tests.support.line import StubRasa
from tests.support.survey_line import Resident, Talker, choices, postback_of, said

QUESTION = "このサービスの満足度"


def nine_conversations(factory, resident: Resident) -> None:  # type: ignore[no-untyped-def]
    """Nine earlier conversations (an hour apart): the next message starts the tenth."""
    start = utcnow() - timedelta(days=3)
    with transaction(factory) as session:
        for i in range(9):
            session.add(
                Message(channel="line", sender=resident.key, direction="in", text=f"質問{i}",
                        created_at=start + timedelta(hours=i))
            )  # fmt: skip


def scores(factory) -> list[int]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return list(session.scalars(select(SatisfactionScore.score)))


def test_the_tenth_conversation_gets_the_question_with_the_answers_own_buttons(factory) -> None:  # type: ignore[no-untyped-def]
    taro = Talker(factory).resident(1)
    assert QUESTION not in said(taro.say("こんにちは"))  # not due yet
    nine_conversations(factory, taro)
    asked = taro.say("ごみの日")
    assert said(asked).startswith("answer: ごみの日") and QUESTION in said(asked)
    assert choices(asked) == [
        "5 満足",
        "4 やや満足",
        "3 どちらともいえない",
        "2 やや不満",
        "1 不満",
        "答えない",
        "ごみの日",
    ]
    assert message_problems(asked) == []
    with factory() as session:
        assert session.get(SatisfactionAsk, taro.key) is not None
    assert "ありがとうございました" in said(taro.choose("4 やや満足"))
    assert scores(factory) == [4]
    with factory() as session:  # kept without the pseudonym
        assert taro.key not in str(session.execute(select(SatisfactionScore.__table__)).all())
    assert QUESTION not in said(taro.say("住民票"))  # never twice within a week


def test_declining_or_a_forged_score_records_nothing(factory) -> None:  # type: ignore[no-untyped-def]
    hanako = Talker(factory).resident(2)
    nine_conversations(factory, hanako)
    asked = hanako.say("ごみの日")
    assert "承知しました" in said(hanako.tap(postback_of(asked, "答えない")))
    bad = hanako.tap("a=st&v=9")
    assert (
        "1から5" in said(bad)
        and choices(bad)[:5] == [label for label, _ in satisfaction_choices(default_messages())][:5]
    )
    assert "1から5" in said(hanako.tap("a=st&v=x"))
    assert scores(factory) == []


class DownRasa(StubRasa):
    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
        raise ValueError("Rasa answered with no message")


def test_not_over_an_faq_card_nor_during_a_report_form_nor_when_rasa_is_down(factory) -> None:  # type: ignore[no-untyped-def]
    saburo = Talker(factory, DownRasa()).resident(4)
    nine_conversations(factory, saburo)
    down = saburo.say("ごみの日")
    assert "ご利用いただけません" in said(down) and QUESTION not in said(down)
    jiro = Talker(factory).resident(3)
    nine_conversations(factory, jiro)
    faq = jiro.say("faq 住民票")  # ends with the 役に立った card: not asked, still due
    assert QUESTION not in said(faq) and faq[-1]["type"] == "template"
    from bot.storage import conversations

    with transaction(factory) as session:
        conversations.set_report_question(session, jiro.key, "場所を教えてください", [])
    assert QUESTION not in said(jiro.say("駅前です"))
    with transaction(factory) as session:
        conversations.clear_report_question(session, jiro.key)
    assert QUESTION in said(jiro.say("ありがとう"))
