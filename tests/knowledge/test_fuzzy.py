"""Forgiving comparison of short Japanese names: one key for the ways residents type a word, and a score."""

from __future__ import annotations

import pytest

from knowledge.fuzzy import bigrams, dice, fold, similarity, to_hiragana


def test_to_hiragana_changes_katakana_only() -> None:
    assert to_hiragana("ペットボトル") == "ぺっとぼとる"
    assert to_hiragana("粗大ゴミ abc") == "粗大ごみ abc"


@pytest.mark.parametrize(
    "text", ["ペットボトル", "ぺっとぼとる", "ﾍﾟｯﾄﾎﾞﾄﾙ", " ペット ボトル ", "ペット・ボトル！"]
)
def test_fold_gives_one_key_for_many_spellings(text: str) -> None:
    assert fold(text) == "ぺっとぼとる"


def test_fold_lowers_latin_and_folds_width() -> None:
    assert fold("ＰＥＴボトル") == "petぼとる"
    assert fold("Ｔシャツ") == fold("tシャツ") == "tしゃつ"


def test_fold_keeps_the_long_vowel_unless_asked() -> None:
    assert fold("ボール") == "ぼーる"
    assert fold("ボール") != fold("ボル")
    assert fold("ボール", keep_long_vowel=False) == "ぼる"
    assert fold("スプレー缶（エアゾール）") == "すぷれー缶えあぞーる"


def test_bigrams() -> None:
    assert bigrams("ごみ袋") == ["ごみ", "み袋"]
    assert bigrams("缶") == ["缶"]
    assert bigrams("") == []


def test_dice() -> None:
    assert dice("ぺっとぼとる", "ぺっとぼとる") == 1.0
    assert dice("あい", "うえ") == 0.0
    assert dice("", "あい") == 0.0
    assert dice("ああああ", "ああ") == pytest.approx(2 * 1 / (3 + 1))  # repeated bigrams count once each
    assert dice("ぺっとぼとう", "ぺっとぼとる") == pytest.approx(0.8)  # one typo: 4 of 5 bigrams


def test_similarity_exact_is_one() -> None:
    assert similarity("しんぶんし", "しんぶんし") == 1.0


def test_similarity_key_inside_a_longer_query() -> None:
    score = similarity(fold("醤油のペットボトル"), fold("ペットボトル"))
    assert 0.75 <= score < 1.0
    assert score > similarity(
        fold("大きな醤油のペットボトル"), fold("ペットボトル")
    )  # covers less of the query


def test_similarity_query_part_of_the_key() -> None:
    score = similarity(fold("自転車"), fold("自転車（子供用）"))
    assert 0.6 <= score <= 0.95


def test_similarity_typo_scores_by_dice_and_never_reaches_one() -> None:
    assert similarity("ぺっとぼとう", "ぺっとぼとる") == pytest.approx(0.8)
    assert similarity("ふにゃほげ", "ぺっとぼとる") == 0.0
    assert similarity("ああああ", "ああ") < 1.0


@pytest.mark.parametrize(("query", "key"), [("", "ごみ"), ("ごみ", ""), ("", "")])
def test_similarity_of_nothing_is_zero(query: str, key: str) -> None:
    assert similarity(query, key) == 0.0
