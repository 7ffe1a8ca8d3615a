"""The question bank: other cities' residents' questions vote for a new city's entries through the entries they
were labelled with; built without the city it scores; saved beside the ranker; used on the reranker's candidates
only."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from knowledge.bank import BankCity, QuestionBank, entry_vectors, fit_bank
from knowledge.cityrecords import Banks, bank_city, with_bank
from knowledge.embedders import HashingEmbedder
from knowledge.kb import FaqEntry
from knowledge.ranker import (
    BANK_FEATURES,
    PAIR_FEATURES,
    RankerModel,
    bank_path,
)
from knowledge.search import FaqSearcher
from tests.support.ranker import fused_only_model
from tests.support.records import records_of, three_cities

DIM = 16


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def test_a_question_asked_elsewhere_votes_for_the_local_entry_like_the_one_it_was_labelled_with() -> None:
    rng = np.random.default_rng(0)
    procedures = _unit(rng.normal(size=(6, DIM)))  # what each entry is about, in any city
    # elsewhere: residents' wording of procedure 4 lies far from how FAQs word it
    wording = _unit(rng.normal(size=(1, DIM)))[0]
    asked = _unit(np.vstack([wording + 0.1 * rng.normal(size=DIM) for _ in range(3)]))
    bank = fit_bank([BankCity(asked, np.repeat(procedures[4:5], 3, axis=0))], ["elsewhere"])
    local = _unit(procedures + 0.05 * rng.normal(size=procedures.shape))  # the new city's entries
    query = _unit(wording[None] + 0.1 * rng.normal(size=(1, DIM)))[0]
    assert float(local[4] @ query) < 0.5  # the new city's entry itself is not close to the wording
    scores = bank.scores(query, local, np.arange(len(local)))
    assert bank.scores(query, local, np.array([4, 1])).vote.tolist() == scores.vote[[4, 1]].tolist()
    assert scores.vote.argmax() == 4 and scores.top.argmax() == 4
    assert scores.nearest > 0.8 and bank.fitted_on == ["elsewhere"]
    assert np.isclose(scores.vote.max(), float(local[4] @ procedures[4]), atol=1e-5)  # every vote for entry 4


def test_a_question_like_one_other_cities_could_not_answer_is_close_to_the_outside() -> None:
    rng = np.random.default_rng(5)
    asked, outside = _unit(rng.normal(size=(4, DIM))), _unit(rng.normal(size=(3, DIM)))
    bank = fit_bank([BankCity(asked, asked, outside)], ["elsewhere"])
    local = _unit(rng.normal(size=(2, DIM)))
    near_outside = bank.scores(_unit(outside[1:2] + 0.05 * rng.normal(size=(1, DIM)))[0], local, np.arange(2))
    near_asked = bank.scores(_unit(asked[2:3] + 0.05 * rng.normal(size=(1, DIM)))[0], local, np.arange(2))
    assert near_outside.outside > 0.9 > near_outside.nearest
    assert near_asked.nearest > 0.9 > near_asked.outside


def test_an_empty_bank_and_no_labelled_question() -> None:
    empty = QuestionBank(np.zeros((0, DIM), np.float32), np.zeros((0, DIM), np.float32))
    scores = empty.scores(np.ones(DIM, np.float32), np.ones((3, DIM), np.float32), np.arange(3))
    assert not scores.vote.any() and not scores.top.any() and scores.nearest == 0.0 == scores.outside
    with pytest.raises(ValueError, match="labelled questions"):
        fit_bank([BankCity(np.zeros((0, DIM)), np.zeros((0, DIM)))])


def test_an_entry_is_its_own_question_row_or_else_all_its_rows() -> None:
    rows = np.eye(6, dtype=np.float32)
    row_entry, row_kind = np.array([0, 0, 0, 1, 1, 2]), np.array([0, 0, 2, 2, 2, 0])
    vectors = entry_vectors(rows, row_entry, row_kind, np.array([0, 1, 3]))
    np.testing.assert_allclose(
        vectors[0], rows[0]
    )  # its question; an alternative (row 1) and the answer left out
    np.testing.assert_allclose(vectors[1], (rows[3] + rows[4]) / np.sqrt(2), rtol=1e-6)  # no question row
    assert not vectors[2].any()  # entry 3 has no row among these


def test_the_bank_is_saved_beside_the_ranker_in_half_precision_and_loaded_with_it(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    bank = fit_bank([BankCity(rng.normal(size=(5, 256)), rng.normal(size=(5, 256)))], ["x"])
    fused_only_model(bank=bank).save(tmp_path / "ranker.json")
    assert bank_path(tmp_path / "ranker.json") == tmp_path / "ranker.bank.npz"
    loaded = RankerModel.load(tmp_path / "ranker.json")
    assert loaded.bank is not None and loaded.bank.fitted_on == ["x"]
    np.testing.assert_allclose(loaded.bank.questions, bank.questions, atol=2e-3)
    fused_only_model().save(tmp_path / "plain.json")
    assert RankerModel.load(tmp_path / "plain.json").bank is None


def test_the_bank_fills_its_features_and_nothing_else(fixture_entries: list[FaqEntry]) -> None:
    records = records_of(fixture_entries)
    material = bank_city(records)
    assert material is not None and len(material.questions) == len(fixture_entries)  # in scope
    assert material.outside is not None and len(material.outside) == 1  # 今日の天気は
    mine = [PAIR_FEATURES.index(f) for f in BANK_FEATURES]
    assert not records[0].pairs[:, mine].any()  # collected without a bank
    banked = with_bank(records, fit_bank([material]))
    r = banked[0]
    vote = PAIR_FEATURES.index("bank_vote")
    assert r.pairs[:, vote].argmax() == 0 and r.candidate_ids[0] == fixture_entries[0].id  # its own entry
    assert np.allclose(r.signals.bank_vote, r.pairs[:, vote]) and r.signals.bank_nearest > 0.99
    others = [j for j in range(len(PAIR_FEATURES)) if j not in mine]
    np.testing.assert_array_equal(r.pairs[:, others], records[0].pairs[:, others])
    assert with_bank(records, None) == records


def test_each_city_gets_a_bank_built_without_it_and_without_the_held_one(
    fixture_entries: list[FaqEntry],
) -> None:
    by_city = three_cities(fixture_entries)
    banks = Banks(by_city)
    assert banks.without("a", "c") is not None and banks.without("a", "c").fitted_on == ["b"]  # type: ignore[union-attr]
    assert banks.without("a", "c") is banks.without("c", "a")  # built once
    banked = banks.applied({k: v for k, v in by_city.items() if k != "c"}, "c")
    vote = PAIR_FEATURES.index("bank_vote")
    # a's own questions are not in its bank: its records are voted for by b's questions only
    expected = with_bank(by_city["a"], banks.without("a", "c"))
    np.testing.assert_array_equal(banked["a"][0].pairs[:, vote], expected[0].pairs[:, vote])
    assert banks.without("a", "b", "c") is None


def test_the_searcher_scores_only_the_candidates_with_the_bank(fixture_entries: list[FaqEntry]) -> None:
    searcher = FaqSearcher(HashingEmbedder())
    searcher.rebuild(fixture_entries)
    vectors = HashingEmbedder().embed_queries([e.question for e in fixture_entries])
    rows, row_entry, row_kind = searcher.index.entry_rows(np.arange(len(fixture_entries)))
    entries = entry_vectors(rows, row_entry, row_kind, np.arange(len(fixture_entries)))
    searcher = FaqSearcher(
        HashingEmbedder(), ranker=fused_only_model(bank=fit_bank([BankCity(vectors, entries)]))
    )
    searcher.rebuild(fixture_entries)
    signals, vector = searcher.signals_and_vector("住民票の写しがほしいです")
    assert vector is not None and not signals.bank_vote.any()  # the first stage does not use it
    candidates = np.array([0, 2])
    banked = searcher._second_stage(signals, vector, candidates)
    assert banked.bank_vote[candidates].all() and not np.delete(banked.bank_vote, candidates).any()
    assert banked.bank_nearest > 0.0
    assert searcher.search("住民票の写しがほしいです").hits[0].faq_id == "juminhyo"
    # staff attach a resident's question to an entry: the bank's view of that entry does not move
    edited = [replace(fixture_entries[0], alt_questions=["ばあちゃんの分もとれる？"]), *fixture_entries[1:]]
    searcher.rebuild(edited)
    again = searcher._second_stage(*searcher.signals_and_vector("住民票の写しがほしいです"), candidates)
    np.testing.assert_allclose(again.bank_vote[candidates], banked.bank_vote[candidates], rtol=1e-5)


def test_a_bank_without_a_city_drops_its_questions_and_keeps_the_others(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    cities = [
        BankCity(
            _unit(rng.normal(size=(k, DIM))),
            _unit(rng.normal(size=(k, DIM))),
            _unit(rng.normal(size=(m, DIM))),
        )
        for k, m in ((2, 1), (3, 2), (4, 1))
    ]
    bank = fit_bank(cities, ["a", "b", "c"])
    assert bank.sources.tolist() == [0, 0, 1, 1, 1, 2, 2, 2, 2] and bank.outside_sources.tolist() == [
        0,
        1,
        1,
        2,
    ]
    bank.save(tmp_path / "bank.npz")
    loaded = QuestionBank.load(tmp_path / "bank.npz")
    smaller = loaded.without("b")
    assert smaller.fitted_on == ["a", "c"] and smaller.sources.tolist() == [0, 0, 1, 1, 1, 1]
    np.testing.assert_allclose(smaller.questions[2:], cities[2].questions, atol=2e-3)
    assert smaller.outside_sources.tolist() == [0, 1]
    np.testing.assert_allclose(smaller.outside[1:], cities[2].outside, atol=2e-3)  # type: ignore[arg-type]
    assert loaded.without("nowhere").fitted_on == ["a", "b", "c"]
    unnamed = fit_bank(cities)  # no names: no city to leave out
    with pytest.raises(ValueError, match="which city"):
        QuestionBank(unnamed.questions, unnamed.entries).without("a")
