"""Message building within LINE's limits: UTF-16 splitting, quick replies, postback data, FAQ buttons."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from channels.line import messages as lm
from channels.line.fake import message_problems


@dataclass
class Q:
    label: str
    text: str


@dataclass
class R:
    text: str
    quick_replies: list[Q] = field(default_factory=list)


def test_utf16_length_counts_emoji_as_two() -> None:
    assert lm.utf16_len("あいう") == 3
    assert lm.utf16_len("😀") == 2
    assert lm.utf16_len("a😀b") == 4


def test_split_exactly_at_limit_with_emoji() -> None:
    text = "😀" * 2500  # 5,000 units: one message
    assert lm.split_text(text) == [text]
    pieces = lm.split_text("😀" * 2501)  # 5,002 units
    assert len(pieces) == 2
    assert all(lm.utf16_len(p) <= 5000 for p in pieces)
    assert "".join(pieces) == "😀" * 2501  # no surrogate pair cut


def test_split_prefers_sentence_and_line_ends() -> None:
    sentence = "住民票の写しは市民課の窓口で取れます。"  # 19 characters
    text = sentence * 400  # 7,600 units
    pieces = lm.split_text(text)
    assert len(pieces) == 2
    assert pieces[0].endswith("。") and all(lm.utf16_len(p) <= 5000 for p in pieces)
    assert "".join(pieces) == text
    lines = "\n".join(["行" * 99] * 80)  # 7,999 units
    parts = lm.split_text(lines)
    assert all(lm.utf16_len(p) <= 5000 for p in parts) and all(not p.startswith("\n") for p in parts)
    assert parts[0].endswith("行")


def test_long_answer_becomes_several_valid_messages() -> None:
    msgs = lm.result_messages([R("あ。" * 6000)])
    assert len(msgs) == 3 and not message_problems(msgs)


def test_quick_reply_limits() -> None:
    items = [(f"とても長いラベルの選択肢その{i}番目ですよね", f"選択肢{i}") for i in range(20)]
    quick = lm.quick_reply(items + [("重複", "選択肢0")])
    assert quick is not None
    data = quick.to_dict()["items"]
    assert len(data) == 13
    assert all(len(i["action"]["label"]) <= 20 for i in data)
    assert data[0]["action"]["label"].endswith("…")
    assert data[0]["action"]["text"] == "選択肢0"
    assert lm.quick_reply([]) is None


def test_quick_replies_ride_on_the_last_message() -> None:
    msgs = lm.result_messages([R("一つ目", [Q("A", "a")]), R("二つ目", [Q("B", "b")])])
    assert len(msgs) == 2 and "quickReply" not in msgs[0]
    assert [i["action"]["text"] for i in msgs[-1]["quickReply"]["items"]] == ["a", "b"]
    assert not message_problems(msgs)


def test_faq_answer_gets_link_and_feedback_buttons() -> None:
    msgs = lm.result_messages(
        [R("答えです。", [Q("ごみの日", "ごみの日")])],
        faq_id="FAQ-001",
        link={"label": "市のページを見る(詳しい説明)", "url": "https://city.example.jp/a"},
    )
    assert msgs[0] == {"type": "text", "text": "答えです。"}
    template = msgs[-1]
    assert template["type"] == "template" and template["template"]["type"] == "buttons"
    actions = template["template"]["actions"]
    assert actions[0]["type"] == "uri" and actions[0]["uri"] == "https://city.example.jp/a"
    assert [a["label"] for a in actions[1:]] == [lm.FEEDBACK_YES, lm.FEEDBACK_NO]
    assert lm.decode_postback(actions[1]["data"]) == {"a": "fb", "v": "1", "faq": "FAQ-001"}
    assert template["quickReply"]["items"][0]["action"]["text"] == "ごみの日"
    assert not message_problems(msgs)


def test_faq_link_must_be_http() -> None:
    msgs = lm.result_messages([R("答え")], faq_id="F1", link={"url": "javascript:alert(1)"})
    assert [a["type"] for a in msgs[-1]["template"]["actions"]] == ["postback", "postback"]


def test_many_replies_are_packed_into_five_messages() -> None:
    msgs = lm.result_messages([R(f"返信{i}") for i in range(9)])
    assert len(msgs) == 5 and not message_problems(msgs)
    assert "返信0" in msgs[0]["text"] and "返信8" in msgs[-1]["text"]


def test_postback_data_round_trip_and_limit() -> None:
    data = lm.encode_postback("say", t="粗大ごみ")
    assert lm.decode_postback(data) == {"a": "say", "t": "粗大ごみ"}
    assert lm.decode_postback("garbage") == {}
    with pytest.raises(ValueError):
        lm.encode_postback("say", t="あ" * 200)


def test_follow_greeting_mentions_usage_and_privacy() -> None:
    texts = lm.follow_greeting("市民相談室(000-0000-1000)")
    joined = "\n".join(texts)
    assert "使い方" in joined and "個人情報" in joined and "000-0000-1000" in joined
    assert not message_problems(lm.text_messages(texts, lm.menu_quick_reply()))


def test_a_quick_reply_with_blank_text_still_sends_text() -> None:
    """Issue 17, item 15: a button whose text was blank ("  ") was dropped instead of sending its label."""
    quick = lm.quick_reply([("はい", "  "), ("いいえ", ""), (" ", " ")])
    assert quick is not None
    assert [(i.action.label, i.action.text) for i in quick.items] == [("はい", "はい"), ("いいえ", "いいえ")]


def test_an_answer_inside_a_form_gets_no_feedback_card_and_keeps_the_forms_buttons() -> None:
    """Issue 17, item 16: the form's 「はい、この場所」/「いいえ」 ended up on 「この回答は役に立ちましたか？」."""
    replies = [
        R("粗大ごみは予約制です。"),
        R("写真を撮った場所を使いますか？", [Q("はい、この場所", "はい"), Q("いいえ", "いいえ")]),
    ]
    link = {"label": "詳しくはこちら", "url": "https://city.example.jp/faq/1"}
    msgs = lm.result_messages(replies, faq_id="FAQ-001", link=link, feedback=False)
    assert all(m["type"] == "text" for m in msgs) and not message_problems(msgs)
    assert "詳しくはこちら: https://city.example.jp/faq/1" in msgs[0]["text"]
    last = msgs[-1]
    assert "場所を使いますか" in last["text"]
    assert [i["action"]["text"] for i in last["quickReply"]["items"]] == ["はい", "いいえ"]
    assert lm.result_messages(replies, faq_id="FAQ-001", link=link)[-1]["type"] == "template"  # outside


def test_the_fallback_text_names_the_counter() -> None:
    text = lm.fallback_reply("市民相談室 000-0000-1000")
    assert "うまくお答えできませんでした" in text and "000-0000-1000" in text
    assert not message_problems(lm.text_messages([text]))
