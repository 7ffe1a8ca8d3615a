"""Whether a message names a topic the bot computes answers for (garbage days, duty clinics, snow clearing).

NLU learned the demo city's wording, so in another city it also sends questions about other things to a topic
intent: 「児童手当って次いつ振り込まれる？」 to the garbage-day intent, 「子どもを預けられるところ」 to the duty
clinic intent. A topic action that finds nothing specific in the message (no area, no day) asks whether the message
names its topic at all: when it does not, the question is the FAQ's, and the FAQ's close entries are offered as
the FAQ action would offer them, instead of the topic's own question (「どの地区ですか？」).

The words are generic (not a city's): everyday Japanese in kanji, kana and common romaji/English/Chinese/Korean
forms. A message is compared after NFKC and katakana → hiragana folding, so ゴミ, ごみ and ｺﾞﾐ are one word.
"""

from __future__ import annotations

import re
import unicodedata

from knowledge.normalize import katakana_to_hiragana

__all__ = ["TOPIC_WORDS", "fold", "is_plain", "is_plain_greeting", "mentions_topic"]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Folded forms (hiragana, lower case), space-separated; any one of them in the message names the topic.
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "garbage": _words(
        "ごみ 塵 芥 資源 収集 回収 燃え 燃や 可燃 不燃 ぷら びん 瓶 あきかん 缶 ぺっと 古紙 新聞 段ぼーる 粗大 生ごみ "
        "捨て すてる すてた すてて すてか すてら 出す日 だす日 分別 ぶんべつ 集積所 ごみすてば "
        "gomi garbage trash rubbish recycl waste 垃圾 回收 쓰레기 분리수거 재활용"
    ),
    "clinic": _words(
        "病院 びょういん 医院 診療 しんりょう くりにっく 当番医 とうばん 休日 きゅうじつ 夜間 やかん 救急 "
        "きゅうきゅう 急病 医者 いしゃ 歯医者 歯科 薬局 やっきょく 熱 ねつ けが 怪我 具合 ぐあい 痛 受診 じゅしん "
        "doctor clinic hospital medical emergency sick fever 医生 诊所 急诊 병원 의원 진료 응급"
    ),
    "snow": _words("雪 ゆき 除雪 じょせつ 排雪 はいせつ 凍結 とうけつ snow plow plough 积雪 扫雪 눈 제설"),
}

# A message that is only one of these (and punctuation or a polite tail) is small talk of that kind. Folded, with
# no long-vowel mark (punctuation here) and no polite tail (「またね」 is compared as 「また」).
_SMALL_TALK: dict[str, tuple[str, ...]] = {
    "greet": _words(
        "こんにちは こんにちわ こんばんは こんばんわ おはよう はじめまして よろしく もしもし やあ どうも "
        "hello hi hey 你好 您好 안녕"
    ),
    "thanks": _words(
        "ありがとう ありがと どうもありがとう さんきゅ たすかりました 助かりました たすかった 助かった 感謝 "
        "thanks thank thankyou thx 谢谢 多谢 감사 고마워 고맙"
    ),
    "goodbye": _words(
        "さようなら さよなら ばいばい また じゃあ おやすみ 失礼します しつれいします それでは "
        "bye goodbye 再见 拜拜 안녕히"
    ),
}
_POLITE_TAIL = re.compile(
    r"(ございます|ございました|おねがいします|お願いします|お願いいたします|です|ね|さん|everyone|there)$"
)
_PUNCTUATION = re.compile(r"[\s!！?？。、,.~〜ー…♪☆★]+")


def fold(text: str) -> str:
    """NFKC, katakana as hiragana, lower case: ゴミ, ごみ and ｺﾞﾐ compare equal."""
    return katakana_to_hiragana(unicodedata.normalize("NFKC", text)).lower()


def mentions_topic(topic: str, text: str) -> bool:
    """True when ``text`` names ``topic`` (a key of :data:`TOPIC_WORDS`) in any of its words."""
    folded = fold(text)
    return any(word in folded for word in TOPIC_WORDS[topic])


def is_plain_greeting(text: str) -> bool:
    """A greeting and nothing more (「こんにちは！」, 「よろしくお願いします」, "hi"), not a question after one."""
    return is_plain(text, "greet")


def is_plain(text: str, kind: str) -> bool:
    """``text`` is small talk of ``kind`` (greet, thanks, goodbye) and nothing more: 「ありがとうございました！」,
    not 「畑にクマの足跡があって怖くてね」 that NLU took for a goodbye."""
    words = _SMALL_TALK[kind]
    folded = _PUNCTUATION.sub("", fold(text))
    for _ in range(2):
        folded = _POLITE_TAIL.sub("", folded)
    return folded in words or any(
        folded.startswith(w) and len(folded) - len(w) <= 3 and not folded[len(w) :].isascii() for w in words
    )
