from pathlib import Path

import pytest

from knowledge.embedders import HashingEmbedder
from knowledge.kb import FaqEntry
from knowledge.search import FaqSearcher
from knowledge.vocabulary import SHIPPED_VOCABULARY, Vocabulary, load_vocabulary

SHIPPED = Vocabulary.shipped()


def test_life_events_add_the_procedures_in_every_spelling() -> None:
    for question in ("先月引っ越してきました", "ひっこしの手続き", "引越ししたい"):
        assert {"転入", "転居", "転出"} <= set(SHIPPED.terms(question)), question
    assert "死亡届" in SHIPPED.terms("父が亡くなりました")
    assert "出生届" in SHIPPED.terms("子どもが生まれた")


def test_foreign_words_reach_the_japanese_terms() -> None:
    assert "転入" in SHIPPED.terms("I moved here last week")
    assert "転入" in SHIPPED.terms("我搬家了")
    assert "転入" in SHIPPED.terms("이사했어요")


def test_latin_triggers_match_whole_words_only() -> None:
    assert "転入" not in SHIPPED.terms("how do I remove a sticker")


def test_terms_already_in_the_question_are_not_added_and_expand_keeps_the_text() -> None:
    terms = SHIPPED.terms("転入届を出したい 引っ越し")
    assert "転入" not in terms and "転居" in terms
    assert SHIPPED.expand("こんにちは") == "こんにちは"
    assert SHIPPED.expand("引っ越し").startswith("引っ越し ")


def test_empty_vocabulary_adds_nothing() -> None:
    assert Vocabulary().terms("引っ越しました") == [] and len(Vocabulary()) == 0


def test_the_shipped_file_loads_and_a_repeated_trigger_unites_its_terms(tmp_path: Path) -> None:
    assert len(load_vocabulary(SHIPPED_VOCABULARY)) > 200
    path = tmp_path / "v.csv"
    path.write_text("# comment\ntrigger,terms\n結婚,婚姻届\n結婚,婚姻届|氏名変更\n", encoding="utf-8")
    assert load_vocabulary(path) == {"結婚": ["婚姻届", "氏名変更"]}


def test_a_malformed_row_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text("trigger,terms\n引っ越し\n", encoding="utf-8")
    with pytest.raises(ValueError, match=":2:"):
        load_vocabulary(path)


def _entry(entry_id: str, question: str, answer: str) -> FaqEntry:
    return FaqEntry(id=entry_id, question=question, answer=answer, category="市役所", department="市民課", url="")


def test_the_vocabulary_signal_scores_the_added_terms_only() -> None:
    entries = [
        _entry("a", "転入届の手続きを教えてください", "転入届は市民課で受け付けます。"),
        _entry("b", "犬の登録はどこでしますか", "犬の登録は環境課です。"),
    ]
    plain = FaqSearcher(HashingEmbedder(), vocabulary=Vocabulary())
    plain.rebuild(entries)
    searcher = FaqSearcher(HashingEmbedder())
    searcher.rebuild(entries)
    question = "ひっこしてきました"
    assert plain.signal_scores(question).vocabulary.tolist() == [0.0, 0.0]
    vocabulary = searcher.signal_scores(question).vocabulary
    assert vocabulary[0] > 0.0 and vocabulary[1] == 0.0
    # The lexical signal itself is the question's own words, with or without the vocabulary.
    assert searcher.signal_scores(question).lexical.tolist() == plain.signal_scores(question).lexical.tolist()
    assert searcher.signal_scores("こんにちは").vocabulary.tolist() == [0.0, 0.0]
