"""Leave-one-city-out evaluation on small synthetic cities (hashing embedder)."""

from __future__ import annotations

import numpy as np

from knowledge.crosscity import (
    City,
    _decide,
    collect,
    fit,
    fit_shipped,
    for_model,
    leave_one_out,
    query_features,
    score,
    worst,
)
from knowledge.embedders import HashingEmbedder
from knowledge.evaluation import EvalQuery
from knowledge.kb import FaqEntry, active_entries
from knowledge.search import FaqSearcher


def _city(name: str, entries: list[FaqEntry]) -> City:
    queries = [EvalQuery(e.question, e.id, "formal") for e in entries]
    queries += [EvalQuery(e.question[:6] + "について", e.id, "keyword") for e in entries]
    queries += [EvalQuery("今日の天気はどうですか", "", "oos"), EvalQuery("おすすめの寿司屋", "", "oos_near")]
    return City(name, entries, queries)


def test_each_city_is_scored_by_a_model_fitted_without_it(fixture_entries: list[FaqEntry]) -> None:
    half = len(fixture_entries) // 2
    cities = {
        "a": _city("a", fixture_entries[:half]),
        "b": _city("b", fixture_entries[half:]),
        "c": _city("c", fixture_entries),
    }
    searcher = FaqSearcher(HashingEmbedder())
    by_city = {name: collect(searcher, city) for name, city in cities.items()}
    results = leave_one_out(by_city, "hashing-256", bank=True)
    assert [base.name for base, _, _ in results] == ["a", "b", "c"]
    for base, learned, model in results:
        assert base.name not in model.fitted_on and len(model.fitted_on) == 2
        assert (
            model.bank is not None and model.bank.fitted_on == model.fitted_on
        )  # the bank is built without it
        # the city's records as the model searches (its own adapter and bank) score as the round scored them
        assert score(base.name, for_model(by_city[base.name], model), model) == learned
        assert learned.in_scope == 2 * len(cities[base.name].entries) and learned.out_of_scope == 2
        assert learned.near_misses == 1
        assert learned.top1 >= 0.9  # the exact question ranks its entry first
    full = fit(by_city, "hashing-256")
    assert full.fitted_on == ["a", "b", "c"]
    scores = [score(n, recs, full) for n, recs in by_city.items()]
    assert worst(scores).top1 == min(s.top1 for s in scores)
    assert worst(scores).answered_wrong == max(s.answered_wrong for s in scores)


def test_a_fitted_model_carries_a_bank_of_every_city_when_asked(
    fixture_entries: list[FaqEntry],
) -> None:
    half = len(fixture_entries) // 2
    searcher = FaqSearcher(HashingEmbedder())
    by_city = {
        "a": collect(searcher, _city("a", fixture_entries[:half])),
        "b": collect(searcher, _city("b", fixture_entries[half:])),
    }
    shipped = fit_shipped(by_city, "hashing-256", bank=True)
    assert shipped.bank is not None and shipped.bank.fitted_on == ["a", "b"]
    assert len(shipped.bank.questions) == 2 * len(fixture_entries) and len(shipped.bank.outside) == 4
    assert fit_shipped(by_city, "hashing-256").bank is None  # optional


def test_the_records_rank_and_judge_as_the_searcher_does_with_the_same_model(
    fixture_entries: list[FaqEntry],
) -> None:
    """The figures are computed on records (collect, then the adapter's and the bank's features added to them);
    a resident is answered by the searcher (second_stage_signals). Both must give each question the same ranking
    and the same probability, or the figures describe another bot."""
    shown = active_entries(fixture_entries)  # collect ranks every entry; the searcher only those shown today
    half = len(shown) // 2
    cities = {"a": _city("a", shown[:half]), "b": _city("b", shown[half:])}
    by_city = {name: collect(FaqSearcher(HashingEmbedder()), city) for name, city in cities.items()}
    model = fit_shipped(by_city, "hashing-256", bank=True)
    assert model.adapter is not None and model.bank is not None
    live = FaqSearcher(HashingEmbedder(), ranker=model)
    assert live.ranker is model
    live.rebuild(cities["b"].entries)
    for r in for_model(by_city["b"], model):
        _, _, ranking = _decide(r, model)
        logits = model.reranker.logits(r.pairs)
        order = np.argsort(-logits, kind="stable")
        p = model.calibrator.probability(
            query_features(r.signals, logits, order, np.arange(len(r.pairs)))[None]
        )
        hits, p_live = live._learned(r.query.text, None)
        assert [h.faq_id for h in hits] == ranking, r.query.text
        assert abs(p_live - float(p[0])) < 1e-6, r.query.text
