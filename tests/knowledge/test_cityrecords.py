"""A city's records for the learned search: embeddings kept for the query adapter, and the adapter's score added
to the candidates' features (hashing embedder, small synthetic city)."""

from __future__ import annotations

import numpy as np

from knowledge.adapter import QueryAdapter
from knowledge.cityrecords import Adapters, adapter_city, with_adapter
from knowledge.kb import FaqEntry
from knowledge.ranker import ADAPTER_FEATURES, PAIR_FEATURES
from tests.support.records import records_of, three_cities


def test_records_keep_the_query_vector_and_the_citys_question_rows(fixture_entries: list[FaqEntry]) -> None:
    records = records_of(fixture_entries)
    first = records[0]
    assert first.vector is not None and first.vector.shape == (256,)
    assert first.city_rows is not None and first.city_rows.ids == tuple(e.id for e in fixture_entries)
    assert all(r.city_rows is first.city_rows for r in records)  # one copy per city
    assert [fixture_entries[i].id for i in first.candidates] == first.candidate_ids
    material = adapter_city(records)
    assert material is not None and len(material.labels) == len(fixture_entries)  # in scope only


def test_the_adapter_scores_fill_their_features_and_nothing_else(fixture_entries: list[FaqEntry]) -> None:
    records = records_of(fixture_entries)
    identity = QueryAdapter(np.zeros((256, 2), np.float32), np.zeros((2, 256), np.float32))
    column, gap = PAIR_FEATURES.index("adapted_question"), PAIR_FEATURES.index("adapted_question_gap")
    mine = [PAIR_FEATURES.index(f) for f in ADAPTER_FEATURES]
    assert not records[0].pairs[:, mine].any()  # collected without an adapter
    adapted = with_adapter(records, identity)
    r = adapted[0]
    assert r.pairs[0, column] > 0.99  # the exact question: cosine 1 with its own row
    assert r.pairs[:, gap].max() == 0.0 and np.allclose(r.signals.adapted_question, r.pairs[:, column])
    others = [j for j in range(len(PAIR_FEATURES)) if j not in mine]
    np.testing.assert_array_equal(r.pairs[:, others], records[0].pairs[:, others])
    assert with_adapter(records, None) == records


def test_each_city_gets_an_adapter_fitted_without_it_and_without_the_held_one(
    fixture_entries: list[FaqEntry],
) -> None:
    by_city = three_cities(fixture_entries)
    adapters = Adapters(by_city)
    adapted = adapters.applied({k: v for k, v in by_city.items() if k != "c"}, "c")
    assert adapters.without("a", "c").fitted_on == ["b"] and adapters.without("b", "c").fitted_on == ["a"]
    assert adapters.without("c").fitted_on == ["a", "b"] and adapters.without("c", "a") is adapters.without(
        "a", "c"
    )
    assert set(adapted) == {"a", "b"}
