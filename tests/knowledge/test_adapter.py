"""The query adapter: fitted on some cities, it moves another city's questions toward their FAQ entries; it round
trips through the ranker's files; the searcher scores the reranker's candidates with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.adapter import AdapterCity, QueryAdapter, fit_adapter, question_scores
from knowledge.embedders import HashingEmbedder
from knowledge.kb import FaqEntry
from knowledge.ranker import RankerModel, adapter_path
from knowledge.search import FaqSearcher
from tests.support.ranker import fused_only_model

DIM = 32


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _city(rng: np.random.Generator, wording: np.ndarray, entries: int = 40, asked: int = 3) -> AdapterCity:
    """Entries as random rows; residents' questions are their rows distorted the same way in every city (the way
    residents word things differs from the FAQ's) plus noise of their own."""
    rows = _unit(rng.normal(size=(entries, DIM)))
    labels = np.repeat(np.arange(entries), asked)
    noise = 0.5 * 3 / np.sqrt(DIM) * rng.normal(size=(len(labels), DIM))
    return AdapterCity(_unit(rows[labels] @ wording + noise), labels, rows, np.arange(entries), entries)


def _top1(city: AdapterCity, adapter: QueryAdapter | None) -> float:
    queries = city.queries if adapter is None else adapter.apply(city.queries)
    best = [question_scores(q, city.rows, city.row_entry, city.entries).argmax() for q in queries]
    return float(np.mean(np.array(best) == city.labels))


@pytest.fixture(scope="module")
def cities() -> list[AdapterCity]:
    rng = np.random.default_rng(3)
    wording = np.eye(DIM)  # part of what the FAQ says one way, residents say in other words
    wording[:4, 4:8] = 1.5 * np.eye(4)
    wording[:4, :4] = 0.2 * np.eye(4)
    return [_city(rng, wording) for _ in range(5)]


def test_an_adapter_fitted_on_other_cities_helps_an_unseen_one(cities: list[AdapterCity]) -> None:
    adapter = fit_adapter(cities[:4], ["a", "b", "c", "d"], rank=8, epochs=80)
    unseen = cities[4]
    assert adapter.fitted_on == ["a", "b", "c", "d"]
    assert _top1(unseen, adapter) >= _top1(unseen, None) + 0.05


def test_fitting_is_reproducible_for_a_seed(cities: list[AdapterCity]) -> None:
    first = fit_adapter(cities[:2], rank=4, epochs=20, seed=5)
    again = fit_adapter(cities[:2], rank=4, epochs=20, seed=5)
    np.testing.assert_allclose(first.down, again.down) and np.testing.assert_allclose(first.up, again.up)


def test_an_adapter_with_no_correction_leaves_unit_vectors_as_they_are() -> None:
    vectors = _unit(np.random.default_rng(1).normal(size=(5, DIM)))
    identity = QueryAdapter(np.zeros((DIM, 2), np.float32), np.zeros((2, DIM), np.float32))
    np.testing.assert_allclose(identity.apply(vectors), vectors, atol=1e-6)


def test_no_labelled_question_is_a_clear_error() -> None:
    empty = AdapterCity(
        np.zeros((0, DIM)), np.zeros(0, np.int64), np.zeros((1, DIM)), np.zeros(1, np.int64), 1
    )
    with pytest.raises(ValueError, match="labelled questions"):
        fit_adapter([empty])


def test_the_adapter_is_saved_beside_the_ranker_and_loaded_with_it(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    adapter = QueryAdapter(
        rng.normal(size=(256, 3)).astype(np.float32), rng.normal(size=(3, 256)).astype(np.float32), ["x"]
    )
    fused_only_model(adapter).save(tmp_path / "ranker.json")
    assert adapter_path(tmp_path / "ranker.json") == tmp_path / "ranker.adapter.npz"
    loaded = RankerModel.load(tmp_path / "ranker.json")
    assert loaded.adapter is not None and loaded.adapter.fitted_on == ["x"]
    np.testing.assert_array_equal(loaded.adapter.down, adapter.down)
    fused_only_model().save(tmp_path / "plain.json")
    assert RankerModel.load(tmp_path / "plain.json").adapter is None


def test_the_searcher_scores_only_the_candidates_with_the_adapter(fixture_entries: list[FaqEntry]) -> None:
    identity = QueryAdapter(np.zeros((256, 2), np.float32), np.zeros((2, 256), np.float32))
    searcher = FaqSearcher(HashingEmbedder(), ranker=fused_only_model(identity))
    searcher.rebuild(fixture_entries)
    signals, vector = searcher.signals_and_vector("住民票の写しがほしいです")
    assert vector is not None and not signals.adapted_question.any()  # the first stage does not use it
    candidates = np.array([0, 2])
    adapted = searcher._second_stage(signals, vector, candidates)
    rows, row_entry, row_kind = searcher.index.entry_rows(candidates)
    asked = row_kind <= 1
    expected = question_scores(vector[0], rows[asked], row_entry[asked], len(fixture_entries))
    # identity: the raw cosines over the question and keyword rows
    np.testing.assert_allclose(adapted.adapted_question[candidates], expected[candidates], rtol=1e-5)
    assert not np.delete(adapted.adapted_question, candidates).any()
    assert searcher.search("住民票の写しがほしいです").hits[0].faq_id == "juminhyo"
