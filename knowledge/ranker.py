"""A learned second stage over the search signals: a reranker and a calibrated answer decision.

The hand-weighted fusion (:meth:`FaqSearcher.fuse`) picks ``CANDIDATES`` entries. For each, :func:`pair_features`
describes how well it matches (each signal, its gap to the best candidate on that signal, what kind of query it
is), and a logistic model scores it: the *reranker*. A second logistic model, the *calibrator*, turns the
ranking's shape (the winner's softmax share, its gap to the runner-up, its signals) into the probability that the
winner is the right entry. The bot answers only when that probability reaches ``answer_at``; it offers the leading
2–3 entries when together they are likely to hold the answer; otherwise it says it does not know.

Both models are fitted on *other* cities' labelled questions (``madoguchi eval --fit``; leave-one-city-out when
evaluating) and stored as a small JSON file (:class:`RankerModel`). Fitting is a few Newton steps of
L2-regularised logistic regression in numpy: no learning library is needed at run time.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.adapter import QueryAdapter, adapted_scores
from knowledge.bank import QuestionBank
from knowledge.embedders import Embedder
from knowledge.signals import Signals

__all__ = [
    "ADAPTER_FEATURES",
    "BANK_FEATURES",
    "CANDIDATES",
    "PAIR_FEATURES",
    "QUERY_FEATURES",
    "LogisticModel",
    "RankerModel",
    "fit_listwise",
    "fit_logistic",
    "pair_features",
    "query_features",
    "second_stage_signals",
]

CANDIDATES = 20
# The pair features in three groups (the ablation of `madoguchi eval-cities` leaves groups out).
FIRST_STAGE_FEATURES = (
    "dense",
    "dense_question",
    "lexical",
    "kana",
    "fused",
    "dense_gap",
    "dense_question_gap",
    "lexical_gap",
    "kana_gap",
    "fused_gap",
    "kana_query_x_kana",
    "latin_query_x_dense",
    "foreign_query_x_dense",
    "first_stage_rank",
)
ANSWER_SIDE_FEATURES = (
    "dense_answer",
    "lexical_question",
    "lexical_answer",
    "dense_answer_gap",
    "lexical_question_gap",
    "lexical_answer_gap",
    "log_question_chars",
    "dense_answer_x_question_chars",
    "lexical_answer_x_question_chars",
    "lexical_answer_x_query_chars",
    "dense_question_x_query_chars",
)
SECOND_EMBEDDER_FEATURES = (
    "second",
    "second_question",
    "second_gap",
    "second_question_gap",
    "foreign_query_x_second",
    "latin_query_x_second",
)
# the query adapter's score (knowledge.adapter): 0 in a model fitted without one
ADAPTER_FEATURES = ("adapted_question", "adapted_question_gap")
# the question bank's vote (knowledge.bank): 0 in a model fitted without one
BANK_FEATURES = ("bank_vote", "bank_vote_gap", "bank_top")
PAIR_FEATURES = (
    FIRST_STAGE_FEATURES + ANSWER_SIDE_FEATURES + SECOND_EMBEDDER_FEATURES + ADAPTER_FEATURES + BANK_FEATURES
)
QUERY_FEATURES = (
    "top_share",
    "top_gap",
    "top_logit",
    "second_share",
    "top_dense",
    "top_dense_question",
    "top_lexical",
    "top_kana",
    "top_second",
    "top_second_gap",
    "kana_query",
    "latin_query",
    "foreign_query",
    "bank_nearest",
    "bank_vote_top",
    "bank_outside",
    "bank_outside_gap",
)


def pair_features(signals: Signals, fused: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """One row per candidate entry (indices into the entries), columns :data:`PAIR_FEATURES`."""
    cols = {
        "dense": signals.dense[candidates],
        "dense_question": signals.dense_question[candidates],
        "lexical": signals.lexical[candidates],
        "kana": signals.kana[candidates],
        "fused": fused[candidates],
        "dense_answer": signals.dense_answer[candidates],
        "lexical_question": signals.lexical_question[candidates],
        "lexical_answer": signals.lexical_answer[candidates],
        "second": signals.second[candidates],
        "second_question": signals.second_question[candidates],
        "adapted_question": signals.adapted_question[candidates],
        "bank_vote": signals.bank_vote[candidates],
        "bank_top": signals.bank_top[candidates],
    }
    out = np.zeros((len(candidates), len(PAIR_FEATURES)), dtype=np.float64)
    for j, name in enumerate(PAIR_FEATURES):
        if name in cols:
            out[:, j] = cols[name]
        elif name.endswith("_gap"):
            base = cols[name[: -len("_gap")]]
            out[:, j] = base - (base.max() if len(base) else 0.0)
    kana_q, latin_q, foreign_q = (
        float(signals.kana_query),
        float(signals.latin_query),
        float(signals.foreign_query),
    )
    out[:, PAIR_FEATURES.index("kana_query_x_kana")] = kana_q * cols["kana"]
    out[:, PAIR_FEATURES.index("latin_query_x_dense")] = latin_q * cols["dense"]
    out[:, PAIR_FEATURES.index("foreign_query_x_dense")] = foreign_q * cols["dense"]
    out[:, PAIR_FEATURES.index("first_stage_rank")] = np.log1p(np.arange(len(candidates)))
    question_chars = np.log1p(signals.question_chars[candidates])
    query_chars = float(np.log1p(signals.query_chars))
    out[:, PAIR_FEATURES.index("log_question_chars")] = question_chars
    out[:, PAIR_FEATURES.index("dense_answer_x_question_chars")] = cols["dense_answer"] * question_chars
    out[:, PAIR_FEATURES.index("lexical_answer_x_question_chars")] = cols["lexical_answer"] * question_chars
    out[:, PAIR_FEATURES.index("lexical_answer_x_query_chars")] = cols["lexical_answer"] * query_chars
    out[:, PAIR_FEATURES.index("dense_question_x_query_chars")] = cols["dense_question"] * query_chars
    out[:, PAIR_FEATURES.index("foreign_query_x_second")] = foreign_q * cols["second"]
    out[:, PAIR_FEATURES.index("latin_query_x_second")] = latin_q * cols["second"]
    return out


def query_features(
    signals: Signals, logits: np.ndarray, order: np.ndarray, candidates: np.ndarray
) -> np.ndarray:
    """The ranking's shape for the calibrator, columns :data:`QUERY_FEATURES` (``order``: best first)."""
    shares = _softmax(logits)
    top = order[0]
    second = order[1] if len(order) > 1 else order[0]
    entry = candidates[top]
    values = {
        "top_share": shares[top],
        "top_gap": logits[top] - (logits[second] if len(order) > 1 else logits[top] - 5.0),
        "top_logit": logits[top],
        "second_share": shares[second] if len(order) > 1 else 0.0,
        "top_dense": signals.dense[entry],
        "top_dense_question": signals.dense_question[entry],
        "top_lexical": signals.lexical[entry],
        "top_kana": signals.kana[entry],
        "top_second": signals.second[entry],
        "top_second_gap": signals.second[entry] - float(np.delete(signals.second, entry).max(initial=0.0)),
        "kana_query": float(signals.kana_query),
        "latin_query": float(signals.latin_query),
        "foreign_query": float(signals.foreign_query),
        "bank_nearest": signals.bank_nearest,
        "bank_vote_top": signals.bank_vote[entry],
        "bank_outside": signals.bank_outside,
        "bank_outside_gap": signals.bank_outside - signals.bank_nearest,
    }
    return np.array([float(values[name]) for name in QUERY_FEATURES], dtype=np.float64)


def second_stage_signals(
    model: RankerModel,
    signals: Signals,
    vector: np.ndarray,
    rows: tuple[np.ndarray, np.ndarray, np.ndarray],
    candidates: np.ndarray,
    entries: np.ndarray | None = None,
) -> Signals:
    """``signals`` with the query adapter's and the question bank's scores of each candidate (the other entries
    stay 0): what only the second stage uses. ``vector``: the query's e5 vector; ``rows``: the candidates'
    embedded rows, their entries and kinds (:meth:`knowledge.faq_index.FaqIndex.entry_rows`); ``entries``: every
    entry's vector for the bank (:meth:`knowledge.faq_index.FaqIndex.question_vectors`)."""
    n = len(signals.dense)
    changes: dict[str, Any] = {}
    if model.adapter is not None:
        adapted = adapted_scores(model.adapter.apply(vector[None, :])[0], *rows, n)[candidates]
        changes["adapted_question"] = _on(candidates, adapted, n)
    if model.bank is not None and entries is not None:
        voted = model.bank.scores(vector, entries, candidates)
        changes["bank_vote"] = _on(candidates, voted.vote, n)
        changes["bank_top"] = _on(candidates, voted.top, n)
        changes["bank_nearest"], changes["bank_outside"] = voted.nearest, voted.outside
    return replace(signals, **changes)


def _on(candidates: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per-entry scores: ``values`` for the candidates, 0 for the other ``n`` entries."""
    out = np.zeros(n, dtype=np.float32)
    out[candidates] = values
    return out


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max())
    return z / z.sum()


def with_pairs(x: np.ndarray) -> np.ndarray:
    """The features followed by every product of two of them (squares included)."""
    n = x.shape[1]
    left, right = np.triu_indices(n)
    return np.hstack([x, x[:, left] * x[:, right]])


@dataclass
class LogisticModel:
    """Standardised features, weights and an intercept: ``sigmoid(w · (x - mean) / scale + b)``.

    With ``pairwise`` the features are first extended by their pairwise products (:func:`with_pairs`);
    ``features`` then names the base features only.
    """

    features: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    intercept: float
    pairwise: bool = False

    def logits(self, x: np.ndarray) -> np.ndarray:
        if self.pairwise:
            x = with_pairs(x)
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.weights) + self.intercept

    def probability(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(x)))


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    features: tuple[str, ...],
    l2: float = 1.0,
    steps: int = 25,
    pairwise: bool = False,
) -> LogisticModel:
    """L2-regularised logistic regression by Newton's method (the intercept is not penalised)."""
    if pairwise:
        x = with_pairs(x)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        gradient = z.T @ (p - y) + penalty * w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return LogisticModel(
        list(features), mean.tolist(), scale.tolist(), w[:-1].tolist(), float(w[-1]), pairwise
    )


def fit_listwise(
    groups: list[tuple[np.ndarray, int]], features: tuple[str, ...], l2: float = 1.0, steps: int = 30
) -> LogisticModel:
    """Conditional logit over each query's candidates: maximises the softmax share of the right one.

    ``groups`` holds, per query, the candidates' feature rows and the index of the right candidate. The
    intercept cancels in a softmax, so it stays 0.
    """
    x_all = np.vstack([x for x, _ in groups])
    mean = x_all.mean(axis=0)
    scale = x_all.std(axis=0)
    scale[scale < 1e-9] = 1.0
    zs = [((x - mean) / scale, right) for x, right in groups]
    w = np.zeros(len(features))
    for _ in range(steps):
        gradient = l2 * w
        hessian = l2 * np.eye(len(w))
        for z, right in zs:
            logits = z @ w
            p = np.exp(logits - logits.max())
            p /= p.sum()
            mean_z = p @ z
            gradient += mean_z - z[right]
            hessian += (z * p[:, None]).T @ z - np.outer(mean_z, mean_z)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return LogisticModel(list(features), mean.tolist(), scale.tolist(), w.tolist(), 0.0)


@dataclass
class RankerModel:
    """The two models, the thresholds chosen with them, and what they were fitted on."""

    embedder: str
    reranker: LogisticModel
    calibrator: LogisticModel
    answer_at: float = 0.97  # answer when P(top entry is right) reaches this
    choose_at: float = 0.30  # offer choices when the leading entries together are this likely
    fitted_on: list[str] = field(default_factory=list)
    second_embedder: str = ""  # the second dense signal's model ('' = fitted without one)
    adapter: QueryAdapter | None = None  # stored beside the JSON file (adapter_path)
    bank: QuestionBank | None = None  # stored beside the JSON file (bank_path)

    def fits(self, embedder: Embedder, second: Embedder | None) -> bool:
        """True when this model was fitted with these embedders (its features mean the same)."""
        same_features = self.reranker.features == list(PAIR_FEATURES) and self.calibrator.features == list(
            QUERY_FEATURES
        )
        return (
            same_features
            and self.embedder == embedder.name
            and self.second_embedder == (second.name if second else "")
        )

    def save(self, path: str | Path) -> None:
        """The JSON file, and the query adapter and question bank (if any) beside it (:func:`adapter_path`,
        :func:`bank_path`)."""
        data = {k: v for k, v in vars(self).items() if k not in ("adapter", "bank")}
        data["reranker"], data["calibrator"] = asdict(self.reranker), asdict(self.calibrator)
        data["adapter_file"] = adapter_path(path).name if self.adapter is not None else ""
        data["bank_file"] = bank_path(path).name if self.bank is not None else ""
        if self.adapter is not None:
            self.adapter.save(adapter_path(path))
        if self.bank is not None:
            self.bank.save(bank_path(path))
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> RankerModel:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        adapter_file = str(data.get("adapter_file", ""))
        bank_file = str(data.get("bank_file", ""))
        return cls(
            embedder=data["embedder"],
            reranker=LogisticModel(**data["reranker"]),
            calibrator=LogisticModel(**data["calibrator"]),
            answer_at=float(data["answer_at"]),
            choose_at=float(data["choose_at"]),
            fitted_on=list(data.get("fitted_on", [])),
            second_embedder=str(data.get("second_embedder", "")),
            adapter=QueryAdapter.load(Path(path).parent / adapter_file) if adapter_file else None,
            bank=QuestionBank.load(Path(path).parent / bank_file) if bank_file else None,
        )


def adapter_path(path: str | Path) -> Path:
    """Where the query adapter of the ranker file ``path`` is kept: ``ranker.json`` → ``ranker.adapter.npz``."""
    path = Path(path)
    return path.with_name(path.stem + ".adapter.npz")


def bank_path(path: str | Path) -> Path:
    """Where the question bank of the ranker file ``path`` is kept: ``ranker.json`` → ``ranker.bank.npz``."""
    path = Path(path)
    return path.with_name(path.stem + ".bank.npz")
