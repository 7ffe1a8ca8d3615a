import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.normalize import (
    Normalizer,
    is_english,
    is_kana_only,
    is_latin,
    katakana_to_hiragana,
    load_synonyms,
)

N = Normalizer()


def test_width_and_case_folding() -> None:
    assert N.key("ＡＢＣ１２３") == "abc123"
    assert N.key("ｺﾞﾐ") == N.key("ゴミ") == "ごみ"


def test_long_vowel_variants() -> None:
    assert N.key("サ−ビス") == N.key("サービス") == N.key("サ～ビス")
    assert N.clean("すご〜〜い") == "すごーい"
    assert N.clean("9時〜17時") == "9時~17時"


def test_okurigana_variants_fold() -> None:
    assert N.key("申し込み") == N.key("申込み") == N.key("申込")
    assert N.key("受け付け") == N.key("受付")
    assert N.key("引っ越し") == N.key("引越し") == N.key("引越")
    assert N.key("取り扱い") == N.key("取扱")
    assert N.key("手続き") == N.key("手続")


def test_punctuation_and_space_folding() -> None:
    assert N.key("  住民票、\u3000ほしい！！ ") == "住民票 ほしい"


def test_katakana_to_hiragana() -> None:
    assert katakana_to_hiragana("マイナンバーカード") == "まいなんばーかーど"


def test_script_detection() -> None:
    assert is_kana_only("じゅうみんひょう ほしい")
    assert not is_kana_only("住民票")
    assert is_latin("residence card?")
    assert not is_latin("住民票 card")


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("Where can I get a residence certificate?", True),
        ("garbage day", True),
        ("asdfghjkl", False),  # a keyboard mash
        ("juminhyo", False),  # one romanised word
        ("住民票をください please", False),  # mostly Japanese
    ],
)
def test_english_detection(text: str, english: bool) -> None:
    assert is_english(text) is english


def test_synonyms_apply_without_double_expansion(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.csv"
    path.write_text("from,to\n# comment\nマイナ,マイナンバー\nほかす,捨てる\n", encoding="utf-8-sig")
    normalizer = Normalizer.from_csv(path)
    assert normalizer.key("マイナ作りたい") == normalizer.key("マイナンバー作りたい")
    assert "まいなんばーんばー" not in normalizer.key("マイナンバー")
    assert normalizer.key("ソファをほかす") == normalizer.key("ソファを捨てる")
    assert load_synonyms(tmp_path / "missing.csv") == {}


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_key_is_idempotent_nfkc_and_total(text: str) -> None:
    key = N.key(text)
    assert unicodedata.normalize("NFKC", key) == key
    assert N.key(key) == key


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_clean_is_idempotent_and_nfkc(text: str) -> None:
    clean = N.clean(text)
    assert unicodedata.normalize("NFKC", clean) == clean
    assert N.clean(clean) == clean


def test_synonym_lists_that_expand_contract_or_cycle_keep_the_key_a_fixed_point() -> None:
    """Found by hypothesis (tests/hostile): み→ﾐﾐ grew on every call; a cycle never settled."""
    cases = [({"み": "ﾐﾐ"}, "み"), ({"あ": "い", "い": "あ"}, "あいう"), ({"ああ": "あ"}, "あ" * 100)]
    for synonyms, text in cases:
        normalizer = Normalizer(synonyms)
        key = normalizer.key(text)
        assert normalizer.key(key) == key, (synonyms, key)
    assert Normalizer({"あ": "い", "い": "あ"}).synonyms == {"い": "あ"}  # one side of the cycle is dropped
