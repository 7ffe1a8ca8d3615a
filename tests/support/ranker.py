"""A hand-set learned ranker for tests: the reranker follows the first stage's fused score, the calibrator is
sure of every winner (p ≈ 0.9997), so what a test adds (a query adapter, a question bank) is what it checks."""

from __future__ import annotations

from knowledge.adapter import QueryAdapter
from knowledge.bank import QuestionBank
from knowledge.ranker import PAIR_FEATURES, QUERY_FEATURES, LogisticModel, RankerModel


def fused_only_model(adapter: QueryAdapter | None = None, bank: QuestionBank | None = None) -> RankerModel:
    n, m = len(PAIR_FEATURES), len(QUERY_FEATURES)
    weights = [0.0] * n
    weights[PAIR_FEATURES.index("fused")] = 10.0
    reranker = LogisticModel(list(PAIR_FEATURES), [0.0] * n, [1.0] * n, weights, 0.0)
    calibrator = LogisticModel(list(QUERY_FEATURES), [0.0] * m, [1.0] * m, [0.0] * m, 8.0)
    return RankerModel(
        "hashing-256", reranker, calibrator, answer_at=0.9, choose_at=0.01, adapter=adapter, bank=bank
    )
