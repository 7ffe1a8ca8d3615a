"""Checks for bot.nlu.tokenizer, run with the Rasa runtime: ``.venv-rasa/bin/python tests/bot/nlu/tokenizer_check.py``.

Exits non-zero with a message on the first failed check; prints ``ok <n>`` otherwise. test_tokenizer.py runs it.
"""

from __future__ import annotations

import sys

from rasa.shared.nlu.training_data.message import Message

from bot.nlu.tokenizer import JapaneseTokenizer, normalize_with_offsets

TOKENIZER = JapaneseTokenizer(JapaneseTokenizer.get_default_config())
CHECKS = 0


def tokens(text: str) -> list:
    return TOKENIZER.tokenize(Message(data={"text": text}), "text")


def check(condition: bool, what: str) -> None:
    global CHECKS
    CHECKS += 1
    if not condition:
        sys.exit(f"FAIL: {what}")


def triples(text: str) -> list[tuple[str, int, int]]:
    return [(t.text, t.start, t.end) for t in tokens(text)]


def check_offsets_cover_the_original(text: str) -> None:
    """Every token's span lies in the original text, spans are ordered and never overlap."""
    previous_end = 0
    for token in tokens(text):
        check(
            0 <= previous_end <= token.start < token.end <= len(text),
            f"offsets of {token.text!r} in {text!r}",
        )
        previous_end = token.end


def main() -> None:
    check(JapaneseTokenizer.supported_languages() == ["ja"], "supported languages")

    text = "明日のごみの日はいつですか？"
    check(
        triples(text)
        == [
            ("明日", 0, 2),
            ("の", 2, 3),
            ("ごみ", 3, 5),
            ("の", 5, 6),
            ("日", 6, 7),
            ("は", 7, 8),
            ("いつ", 8, 10),
            ("です", 10, 12),
            ("か", 12, 13),
            ("?", 13, 14),
        ],
        f"plain sentence: {triples(text)}",
    )
    check(text[13:14] == "？", "full-width question mark keeps its original span")

    # half-width katakana with a voiced mark: 3 original characters, one normalised word
    text = "ｶﾞｽ代を払いたい"
    first = tokens(text)[0]
    check((first.text, first.start, first.end) == ("がす", 0, 3), f"half-width kana: {triples(text)}")
    check(text[first.start : first.end] == "ｶﾞｽ", "entity value sliced from the original text")

    # hiragana only: offsets are contiguous and rebuild the sentence
    text = "じょせつしゃはいつくるの"
    spans = triples(text)
    check("".join(text[s:e] for _, s, e in spans) == text, f"hiragana-only coverage: {spans}")
    check(
        all(a[2] == b[1] for a, b in zip(spans, spans[1:], strict=False)),
        "hiragana-only tokens are contiguous",
    )

    # mixed English with spaces: whitespace is skipped, case folded, offsets still in the original
    text = "Hello 粗大ごみ pickup please"
    got = triples(text)
    check(got[0] == ("hello", 0, 5), f"english word: {got}")
    check(got[-1] == ("please", 18, 24), f"last english word: {got}")
    check(all(text[s:e].strip() == text[s:e] for _, s, e in got), "no token spans whitespace")

    # full-width alphanumerics are normalised, spans point to the full-width original
    text = "受付番号はＲ－１２３です"
    got = triples(text)
    check(any(t == "123" for t, _, _ in got), f"full-width digits normalised: {got}")
    for token, start, end in got:
        if token == "123":
            check(text[start:end] == "１２３", "full-width digits keep original span")

    # script- and orthography-insensitive features
    katakana, hiragana = tokens("ゴミの日"), tokens("ごみの日")
    check([t.text for t in katakana] == [t.text for t in hiragana], "katakana folded to hiragana in text")
    check([t.lemma for t in katakana] == [t.lemma for t in hiragana], "same lemma for ゴミ/ごみ")
    check(
        [t.lemma for t in tokens("除雪車")] == [t.lemma for t in tokens("除雪者")],
        "IME slip 除雪者/除雪車 collapses on the lemma (reading)",
    )
    check([t.lemma for t in tokens("出します")][0] == "だす", "lemma is the dictionary form's reading")
    check(tokens("住民票")[0].get("pos", "").startswith("名詞"), "part of speech recorded")
    check(tokens("asdfgh")[0].get("pos", "").startswith("UNK-"), "unknown words marked")

    # emoji, symbols and empty text
    check_offsets_cover_the_original("🙂🙂🙂 ふにゃほげ！！")
    check_offsets_cover_the_original("ﾊﾟﾊﾟ、ｶﾞｰﾄﾞﾚｰﾙが壊れてる")
    check(tokens("") == [], "empty text")
    check(tokens("   ") == [], "whitespace only")

    normalized, spans = normalize_with_offsets("ｶﾞＡ")
    check(normalized == "ガA" and spans == [(0, 2), (2, 3)], f"normalize_with_offsets: {normalized} {spans}")
    print(f"ok {CHECKS}")


if __name__ == "__main__":
    main()
