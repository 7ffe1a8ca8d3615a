"""Answer quality on cities the models were not fitted on: leave-one-city-out evaluation and fitting.

An evaluation city is a folder with ``faq.csv`` (the city's FAQ as staff export it) and one or more labelled
query files (``query,expected_id,style``; an empty id marks an out-of-scope question, style ``oos_near`` a near
miss). For every city, :func:`leave_one_out` fits the learned ranker (:mod:`knowledge.ranker`) on the *other*
cities only and scores the city with it, next to the hand-tuned decision it replaces. :func:`fit` fits the model
that ships on every city at once.

The search signals of each question are computed once per city (:func:`collect`, :mod:`knowledge.cityrecords`);
fitting and scoring then run on those records, so a whole leave-one-city-out round costs one pass of query
embeddings. The query adapter (:mod:`knowledge.adapter`) is fitted inside the round too: the records of a city
get their adapter score from an adapter fitted on neither that city nor the one being scored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from knowledge.cityrecords import (
    Adapters,
    Banks,
    City,
    CityRows,
    QueryRecord,
    adapter_city,
    collect,
    load_city,
    with_adapter,
    with_bank,
)
from knowledge.evaluation import EvalQuery
from knowledge.ranker import (
    ANSWER_SIDE_FEATURES,
    PAIR_FEATURES,
    QUERY_FEATURES,
    SECOND_EMBEDDER_FEATURES,
    LogisticModel,
    RankerModel,
    fit_listwise,
    fit_logistic,
    query_features,
)

__all__ = [
    "Adapters",
    "City",
    "CityRows",
    "CityScore",
    "QueryRecord",
    "collect",
    "fit",
    "fit_shipped",
    "for_model",
    "leave_one_out",
    "load_city",
    "score",
    "score_outcomes",
    "adapter_city",
    "with_adapter",
]

NEAR_MISS_STYLE = "oos_near"
# answer_at is set so that at most this share of the training questions is answered wrongly.
MAX_WRONG_WHEN_FITTING = 0.01


@dataclass
class CityScore:
    name: str
    method: str
    in_scope: int = 0
    out_of_scope: int = 0
    near_misses: int = 0
    top1: float = 0.0
    top3: float = 0.0
    answered_right: float = 0.0
    answered_wrong: float = 0.0  # wrong answers to in-scope AND out-of-scope questions, over all questions
    buttons_contain: float = 0.0  # right entry answered or among the offered choices
    choose: float = 0.0
    unknown: float = 0.0
    oos_not_answered: float = 0.0
    near_not_answered: float = 0.0
    style_top1: dict[str, float] = field(default_factory=dict)


def _fit_reranker(records: Sequence[QueryRecord]) -> LogisticModel:
    return fit_listwise([(r.pairs, r.label) for r in records if r.label >= 0], PAIR_FEATURES, l2=1.0)


def _query_rows(records: Sequence[QueryRecord], reranker: LogisticModel) -> tuple[np.ndarray, np.ndarray]:
    feats, right = [], []
    for r in records:
        logits = reranker.logits(r.pairs)
        order = np.argsort(-logits, kind="stable")
        feats.append(query_features(r.signals, logits, order, np.arange(len(r.pairs))))
        right.append(float(r.label >= 0 and order[0] == r.label))
    return np.vstack(feats), np.array(right)


def fit(
    by_city: dict[str, list[QueryRecord]],
    embedder: str,
    max_wrong: float = MAX_WRONG_WHEN_FITTING,
    second_embedder: str = "",
    pairwise_calibrator: bool = True,
) -> RankerModel:
    """Fit reranker, calibrator and thresholds on the given cities.

    The calibrator learns from rankings it has not seen fitted: each city's rankings come from a reranker
    fitted on the other given cities (so its confidence is the confidence on a new city).
    """
    names = sorted(by_city)
    all_records = [r for n in names for r in by_city[n]]
    reranker = _fit_reranker(all_records)
    feats, right = [], []
    for held in names:
        others = [r for n in names if n != held for r in by_city[n]] if len(names) > 1 else all_records
        x, y = _query_rows(by_city[held], _fit_reranker(others))
        feats.append(x)
        right.append(y)
    x_all, y_all = np.vstack(feats), np.concatenate(right)
    calibrator = fit_logistic(
        x_all, y_all, QUERY_FEATURES, l2=10.0 if pairwise_calibrator else 1.0, pairwise=pairwise_calibrator
    )
    p = calibrator.probability(x_all)
    answer_at = _threshold(p, y_all, max_wrong)
    return RankerModel(
        embedder,
        reranker,
        calibrator,
        answer_at=answer_at,
        choose_at=0.05,
        fitted_on=names,
        second_embedder=second_embedder,
    )


def _threshold(p: np.ndarray, right: np.ndarray, max_wrong: float) -> float:
    """The lowest probability threshold whose wrong answers stay within ``max_wrong`` of all questions."""
    best = 0.999
    for t in np.arange(0.995, 0.30, -0.005):
        answered = p >= t
        if (answered & (right == 0)).sum() / len(p) <= max_wrong:
            best = float(t)
        else:
            break
    return round(best, 3)


def score(name: str, records: Sequence[QueryRecord], model: RankerModel | None) -> CityScore:
    """Score a city's questions with ``model`` (None: the hand-tuned searcher's recorded decisions)."""
    return score_outcomes(
        name, "learned" if model else "hand-tuned", ((r.query, *_decide(r, model)) for r in records)
    )


def score_outcomes(
    name: str, method: str, outcomes: Iterable[tuple[EvalQuery, str, list[str], list[str]]]
) -> CityScore:
    """Score per-question outcomes ``(query, decision, ids shown, ranking)``: the one place the figures are
    defined (:func:`score` here, :mod:`knowledge.chateval` for answers asked through the chat API)."""
    out = CityScore(name, method)
    totals: dict[str, list[float]] = {}
    counts = {"right": 0, "wrong": 0, "buttons": 0, "choose": 0, "unknown": 0, "top1": 0, "top3": 0}
    oos_answered = near_answered = 0
    n_all = 0
    for q, decision, ids, ranking in outcomes:
        n_all += 1
        if q.in_scope:
            out.in_scope += 1
            counts["top1"] += bool(ranking[:1] == [q.expected_id])
            counts["top3"] += q.expected_id in ranking[:3]
            totals.setdefault(q.style, []).append(float(ranking[:1] == [q.expected_id]))
            if decision == "answer":
                counts["right" if ids[:1] == [q.expected_id] else "wrong"] += 1
            counts["buttons"] += (decision == "answer" and ids[:1] == [q.expected_id]) or (
                decision == "choose" and q.expected_id in ids
            )
        else:
            out.out_of_scope += 1
            near = q.style == NEAR_MISS_STYLE
            out.near_misses += near
            if decision == "answer":
                counts["wrong"] += 1
                oos_answered += 1
                near_answered += near
        counts["choose"] += decision == "choose"
        counts["unknown"] += decision == "unknown"
    n_in, n_all = max(out.in_scope, 1), max(n_all, 1)
    out.top1, out.top3 = counts["top1"] / n_in, counts["top3"] / n_in
    out.answered_right, out.buttons_contain = counts["right"] / n_in, counts["buttons"] / n_in
    out.answered_wrong = counts["wrong"] / n_all
    out.choose, out.unknown = counts["choose"] / n_all, counts["unknown"] / n_all
    out.oos_not_answered = 1 - oos_answered / max(out.out_of_scope, 1)
    out.near_not_answered = 1 - near_answered / max(out.near_misses, 1)
    out.style_top1 = {s: sum(v) / len(v) for s, v in sorted(totals.items())}
    return out


def _decide(r: QueryRecord, model: RankerModel | None) -> tuple[str, list[str], list[str]]:
    if model is None:
        return r.baseline_decision, r.baseline_ids, list(r.candidate_ids)  # the first stage's order
    logits = model.reranker.logits(r.pairs)
    order = np.argsort(-logits, kind="stable")
    ranking = [r.candidate_ids[i] for i in order]
    p = float(
        model.calibrator.probability(query_features(r.signals, logits, order, np.arange(len(r.pairs)))[None])[
            0
        ]
    )
    if p >= model.answer_at:
        return "answer", ranking[:3], ranking
    if p >= model.choose_at:
        return "choose", ranking[:3], ranking
    return "unknown", [], ranking


def leave_one_out(
    by_city: dict[str, list[QueryRecord]],
    embedder: str,
    second_embedder: str = "",
    adapter: bool = True,
    bank: bool = False,
) -> list[tuple[CityScore, CityScore, RankerModel]]:
    """For each city: the hand-tuned score, and the learned score with a model fitted on the other cities (its
    query adapter and question bank too: the other cities' records get theirs without themselves as well)."""
    results = []
    adapters = Adapters(by_city) if adapter else None
    banks = Banks(by_city) if bank else None
    for held in sorted(by_city):
        others = {n: recs for n, recs in by_city.items() if n != held}
        mine = by_city[held]
        if adapters is not None:
            others = adapters.applied(others, held)
            mine = with_adapter(mine, adapters.without(held))
        if banks is not None:
            others = banks.applied(others, held)
            mine = with_bank(mine, banks.without(held))
        model = fit(others, embedder, second_embedder=second_embedder)
        model.adapter = adapters.without(held) if adapters is not None else None
        model.bank = banks.without(held) if banks is not None else None
        results.append((score(held, by_city[held], None), score(held, mine, model), model))
    return results


def for_model(records: Sequence[QueryRecord], model: RankerModel) -> list[QueryRecord]:
    """The records with the scores of the model's own query adapter and question bank (as it would search)."""
    return with_bank(with_adapter(records, model.adapter), model.bank)


def fit_shipped(
    by_city: dict[str, list[QueryRecord]],
    embedder: str,
    second_embedder: str = "",
    adapter: bool = True,
    bank: bool = False,
) -> RankerModel:
    """The model that ships: the query adapter and question bank of every city, and the reranker and calibrator
    fitted on features each city's records get from an adapter and a bank that never saw that city (as a new
    city's will)."""
    adapters = Adapters(by_city) if adapter else None
    banks = Banks(by_city) if bank else None
    records = by_city
    if adapters is not None:
        records = adapters.applied(records)
    if banks is not None:
        records = banks.applied(records)
    model = fit(records, embedder, second_embedder=second_embedder)
    model.adapter = adapters.without() if adapters is not None else None
    model.bank = banks.without() if banks is not None else None
    return model


COLUMNS = (
    ("top1", "top-1"),
    ("top3", "top-3"),
    ("answered_right", "answered right"),
    ("answered_wrong", "answered wrong"),
    ("buttons_contain", "right answered or offered"),
    ("oos_not_answered", "out-of-scope not answered"),
    ("near_not_answered", "near misses not answered"),
)


# Cumulative steps from the hand-tuned search to the shipped model: (label, pair features left out,
# without the second embedder, pairwise calibrator).
ABLATION = (
    ("learned, first-stage signals only", ANSWER_SIDE_FEATURES + SECOND_EMBEDDER_FEATURES, True, False),
    ("+ question-side / answer-side signals", SECOND_EMBEDDER_FEATURES, True, False),
    ("+ second embedder (USE)", (), False, False),
    ("+ pairwise calibrator", (), False, True),
)
ADAPTER_STEP = "+ query adapter (shipped)"
BANK_STEP = "+ question bank (optional: --bank)"


def without(
    by_city: dict[str, list[QueryRecord]], pair_features: Sequence[str], second: bool
) -> dict[str, list[QueryRecord]]:
    """The records with some pair features zeroed (and the second embedder's signals, when ``second``)."""
    columns = [PAIR_FEATURES.index(f) for f in pair_features]
    out: dict[str, list[QueryRecord]] = {}
    for name, records in by_city.items():
        masked = []
        for r in records:
            pairs = r.pairs.copy()
            pairs[:, columns] = 0.0
            signals = r.signals
            if second:
                zero = np.zeros_like(signals.second)
                signals = replace(signals, second=zero, second_question=zero)
            masked.append(replace(r, pairs=pairs, signals=signals))
        out[name] = masked
    return out


def ablation(by_city: dict[str, list[QueryRecord]], embedder: str) -> list[tuple[str, list[CityScore]]]:
    """Leave-one-city-out scores of each step of :data:`ABLATION`, after the hand-tuned baseline."""
    rows = [("hand-tuned fusion and thresholds", [score(n, by_city[n], None) for n in sorted(by_city)])]
    for label, dropped, no_second, pairwise in ABLATION:
        records = without(by_city, dropped, no_second)
        scores = []
        for held in sorted(records):
            others = {n: recs for n, recs in records.items() if n != held}
            scores.append(score(held, records[held], fit(others, embedder, pairwise_calibrator=pairwise)))
        rows.append((label, scores))
    if any(r.vector is not None for records in by_city.values() for r in records):
        rows.append((ADAPTER_STEP, [learned for _, learned, _ in leave_one_out(by_city, embedder)]))
        rows.append((BANK_STEP, [learned for _, learned, _ in leave_one_out(by_city, embedder, bank=True)]))
    return rows


def worst(scores: Sequence[CityScore]) -> CityScore:
    """The worst city on each figure (highest for answered-wrong, lowest for the rest)."""
    out = CityScore("worst", scores[0].method if scores else "")
    for attr, _ in COLUMNS:
        values = [getattr(s, attr) for s in scores]
        setattr(out, attr, max(values) if attr == "answered_wrong" else min(values))
    out.style_top1 = {"(any)": min((min(s.style_top1.values()) for s in scores if s.style_top1), default=0.0)}
    return out


def table_rows(scores: Sequence[CityScore]) -> list[list[str]]:
    """One row per city and method: name, method, counts, then :data:`COLUMNS`, then the worst style."""
    rows = []
    for s in scores:
        worst_style = min(s.style_top1.items(), key=lambda kv: kv[1]) if s.style_top1 else ("", 0.0)
        rows.append(
            [s.name, s.method, f"{s.in_scope}+{s.out_of_scope}"]
            + [f"{getattr(s, attr):.3f}" for attr, _ in COLUMNS]
            + [f"{worst_style[0]} {worst_style[1]:.2f}"]
        )
    return rows
