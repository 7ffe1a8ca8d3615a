"""The 「アンケート」 entry on LINE: typed or as a postback (a rich-menu button), the open surveys listed with
where the resident stands in each, paged past 11; other texts and postbacks are left to the chat."""

from __future__ import annotations

from bot.surveys import line
from channels.line.fake import message_problems
from tests.support.survey_line import Talker, choices, make_survey, said

RATING = [{"kind": "rating", "text": "満足度"}]


def test_the_list_pages_and_says_what_was_answered(factory) -> None:  # type: ignore[no-untyped-def]
    ids = [make_survey(factory, title=f"調査{i:02d}", questions=RATING) for i in range(1, 14)]
    ichiro = Talker(factory).resident(1)
    ichiro.tap(line.invitation_data(ids[0]))
    ichiro.choose("4")  # 調査01 answered
    first = ichiro.tap("a=sv&o=list")
    assert choices(first) == [f"調査{i:02d}" for i in range(1, 12)] + ["次のページ"]
    assert "・調査01(回答期限" in said(first) and "【回答済み】" in said(first)
    second = ichiro.choose("次のページ")
    assert choices(second) == ["調査12", "調査13"] and message_problems(second) == []
    assert said(ichiro.say(" アンケート。")) == said(first)  # typed, with a blank and a full stop


def test_other_texts_and_postbacks_go_to_the_chat(factory) -> None:  # type: ignore[no-untyped-def]
    jiro = Talker(factory).resident(2)
    assert said(jiro.say("アンケートの結果はどこで見られますか")).startswith("answer:")
    assert said(jiro.tap("a=say&t=ごみの日")).startswith("answer: ごみの日")
    assert jiro.tap("a=nothing") == []
    assert [c["text"] for c in jiro.talker.rasa.calls] == ["アンケートの結果はどこで見られますか", "ごみの日"]
