"""Whether a message names a computed topic, and whether it is only a greeting (knowledge.topics)."""

from __future__ import annotations

import pytest

from knowledge.topics import TOPIC_WORDS, is_plain, is_plain_greeting, mentions_topic


@pytest.mark.parametrize(
    ("topic", "text"),
    [
        ("garbage", "燃えるゴミの日っていつ"),
        ("garbage", "ｺﾞﾐ 何曜日"),
        ("garbage", "when is trash day"),
        ("garbage", "쓰레기 버리는 날"),
        ("clinic", "日曜にやってる病院ある？"),
        ("clinic", "子どもが熱出した"),
        ("clinic", "holiday clinic today"),
        ("snow", "除雪車きた？"),
        ("snow", "ゆき かき まだ？"),
    ],
)
def test_a_message_naming_the_topic_names_it(topic: str, text: str) -> None:
    assert mentions_topic(topic, text)


@pytest.mark.parametrize(
    "text",
    [
        "児童手当って次いつ振り込まれるんだっけ？",
        "団水 いつまで",
        "子ども預けられるとこない？",
        "いいんですか",
    ],
)
def test_a_question_about_something_else_names_no_topic(text: str) -> None:
    assert not any(mentions_topic(topic, text) for topic in TOPIC_WORDS)


@pytest.mark.parametrize(
    "text",
    ["こんにちは", "こんにちは！", "よろしくお願いします", "おはようございます", "Hi there!", "안녕하세요"],
)
def test_a_plain_greeting_is_one(text: str) -> None:
    assert is_plain_greeting(text)


@pytest.mark.parametrize(
    "text",
    [
        "こんにちは、コンビニ交付の時間は？",
        "コンビに交付 使える時間",
        "which one",
        "hiragana",
        "こんにちは！ごみの日は？",
    ],
)
def test_a_question_is_not_a_greeting(text: str) -> None:
    assert not is_plain_greeting(text)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("thanks", "ありがとうございました！"),
        ("thanks", "どうもありがとう"),
        ("thanks", "助かりました"),
        ("thanks", "Thank you!"),
        ("thanks", "감사합니다"),
        ("goodbye", "さようなら"),
        ("goodbye", "またね〜"),
        ("goodbye", "おやすみなさい"),
        ("goodbye", "Bye!"),
    ],
)
def test_plain_thanks_and_goodbyes_are_small_talk(kind: str, text: str) -> None:
    assert is_plain(text, kind)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("goodbye", "畑にクマの足跡があって怖くてね"),
        ("goodbye", "登録していた実印を紛失してしまいました"),
        ("thanks", "How much is the fare for the community bus?"),
        ("thanks", "ありがとう、それと粗大ごみの出し方も教えて"),
        ("goodbye", "ありがとう"),  # thanks, not a goodbye
    ],
)
def test_a_question_is_not_small_talk(kind: str, text: str) -> None:
    assert not is_plain(text, kind)
