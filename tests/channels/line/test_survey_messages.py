"""LINE messages for surveys: postback quick replies and the invitation within LINE's limits, and a question
added to an answer without losing the answer's own buttons."""

from __future__ import annotations

from channels.line import survey_messages as sm
from channels.line.fake import message_problems
from channels.line.messages import MAX_QUICK_REPLY_ITEMS, quick_reply, text_messages


def test_postback_quick_replies_stay_within_limits() -> None:
    items = [(f"とても長い選択肢のラベルです{i}番目の項目", f"a=sv&v={i}") for i in range(20)]
    messages = sm.ask(["問1/1\nどれですか"], items + [("重複", "a=sv&v=0")])
    [quick] = [m["quickReply"]["items"] for m in messages]
    assert len(quick) == MAX_QUICK_REPLY_ITEMS and message_problems(messages) == []
    action = quick[0]["action"]
    assert action["type"] == "postback" and action["data"] == "a=sv&v=0"
    assert len(action["label"]) <= 20 and action["displayText"] == action["label"]
    assert sm.postback_quick_reply([("", "x"), ("空", "")]) is None


def test_the_invitation_is_a_text_and_a_card_with_one_button() -> None:
    text = "【アンケートのお願い】" + "説明" * 300
    messages = sm.invitation(
        text, "回答する", "a=sv&o=open&s=3", "「市民意識調査」へのご協力を" + "お願い" * 60
    )
    assert [m["type"] for m in messages] == ["text", "template"] and message_problems(messages) == []
    card = messages[-1]
    assert len(card["template"]["text"]) <= 160 and len(card["altText"]) <= 400
    assert card["template"]["actions"] == [
        {"type": "postback", "label": "回答する", "data": "a=sv&o=open&s=3", "displayText": "回答する"}
    ]


def test_a_question_added_to_an_answer_keeps_the_answers_buttons_after_its_own() -> None:
    answer = text_messages(
        ["ごみの日は月曜日です。"], quick_reply([("ごみの日", "ごみの日"), ("除雪", "除雪")])
    )
    added = sm.append_question(
        answer, "満足度は？", [("5", "a=st&v=5"), ("1", "a=st&v=1"), ("除雪", "a=st&v=0")]
    )
    assert added is not None and message_problems(added) == []
    assert "quickReply" not in added[0] and added[0]["text"] == "ごみの日は月曜日です。"
    labels = [(i["action"]["type"], i["action"]["label"]) for i in added[-1]["quickReply"]["items"]]
    assert labels == [("postback", "5"), ("postback", "1"), ("postback", "除雪"), ("message", "ごみの日")]
    assert answer[0].get("quickReply")  # the answer given in is not changed


def test_no_question_is_added_over_a_card_or_a_full_call() -> None:
    card = [{"type": "template", "altText": "x", "template": {"type": "buttons", "text": "x", "actions": []}}]
    five = text_messages(["一", "二", "三", "四", "五"])
    assert len(five) == 5
    for messages in ([], card, five):
        assert sm.append_question(messages, "満足度は？", [("5", "a=st&v=5")]) is None
