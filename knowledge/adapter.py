"""A query adapter: a small learned correction of the e5 query vector toward the way FAQ questions are written.

Residents ask 「ごみ投げたいんだけど何時までに出せばいいんだべ」 where the FAQ says 「ごみは何時までに出せばよいですか」;
the multilingual e5 model places such pairs less close than a resident would. The adapter moves a query vector
``q`` to ``normalise(q + (q · down) · up)`` — a low-rank (``rank`` ≪ dimension) residual, so an adapter fitted on
nothing is the identity — and the adapted vector is compared with the FAQ's question and keyword rows. Its score is
one more feature of the learned reranker (:mod:`knowledge.ranker`), which weighs it against the raw signals.

It is fitted on labelled questions of *other* cities (``madoguchi eval-cities``; each city scored by an adapter
that never saw it), with a softmax over each city's FAQ rows and an L2 penalty on the correction. Fitting uses torch
(installed by ``make setup``); applying it is two matrix products in numpy, stored as a small ``.npz`` beside the
ranker file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["AdapterCity", "QueryAdapter", "adapted_scores", "fit_adapter", "question_scores"]

RANK = 64
L2 = 1e-2
EPOCHS = 150
TEMPERATURE = 30.0
LEARNING_RATE = 1e-2


@dataclass(frozen=True)
class AdapterCity:
    """One city's training material: its questions' query vectors and right entries, and its FAQ's question and
    keyword rows (``row_entry``: the entry of each row; ``entries``: how many entries)."""

    queries: np.ndarray  # (questions, dim), unit vectors
    labels: np.ndarray  # (questions,) index of the right entry
    rows: np.ndarray  # (rows, dim), unit vectors
    row_entry: np.ndarray  # (rows,)
    entries: int


@dataclass
class QueryAdapter:
    down: np.ndarray  # (dim, rank)
    up: np.ndarray  # (rank, dim)
    fitted_on: list[str] = field(default_factory=list)

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        """The adapted query vectors (unit length), float32."""
        moved = vectors + (vectors @ self.down) @ self.up
        norms = np.linalg.norm(moved, axis=1, keepdims=True)
        return (moved / np.maximum(norms, 1e-12)).astype(np.float32)

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            Path(path),
            down=self.down.astype(np.float32),
            up=self.up.astype(np.float32),
            fitted_on=np.array(self.fitted_on),
        )

    @classmethod
    def load(cls, path: str | Path) -> QueryAdapter:
        with np.load(Path(path), allow_pickle=False) as data:
            return cls(data["down"], data["up"], [str(n) for n in data["fitted_on"]])


def adapted_scores(
    moved: np.ndarray, rows: np.ndarray, row_entry: np.ndarray, row_kind: np.ndarray, entries: int
) -> np.ndarray:
    """Each entry's best cosine with the adapted vector ``moved`` over its question and keyword rows among the
    given rows (``row_kind``: :class:`knowledge.faq_index.RowKind` values; 0 question, 1 keywords)."""
    asked = row_kind <= 1
    return question_scores(moved, rows[asked], row_entry[asked], entries)


def question_scores(vector: np.ndarray, rows: np.ndarray, row_entry: np.ndarray, entries: int) -> np.ndarray:
    """Each entry's best cosine between ``vector`` and its question/keyword rows (-1 for an entry with none)."""
    best = np.full(entries, -1.0, dtype=np.float32)
    if len(rows):
        np.maximum.at(best, row_entry, rows @ vector)
    return best


def fit_adapter(
    cities: Sequence[AdapterCity],
    names: Sequence[str] = (),
    rank: int = RANK,
    l2: float = L2,
    epochs: int = EPOCHS,
    seed: int = 0,
) -> QueryAdapter:
    """Fit the adapter on ``cities`` (reproducible for a seed); every city weighs the same."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - make setup installs torch
        raise RuntimeError("fitting the query adapter needs torch (make setup installs it)") from exc
    cities = [c for c in cities if len(c.labels)]
    if not cities:
        raise ValueError("the query adapter needs labelled questions of at least one city")
    dim = cities[0].queries.shape[1]
    torch.manual_seed(seed)
    down = (torch.randn(dim, rank, dtype=torch.float32) * 0.01).requires_grad_()
    up = torch.zeros(rank, dim, dtype=torch.float32, requires_grad=True)
    optimiser = torch.optim.Adam([down, up], lr=LEARNING_RATE)
    data = [
        (
            torch.from_numpy(np.ascontiguousarray(c.queries, dtype=np.float32)),
            torch.from_numpy(c.labels.astype(np.int64)),
            torch.from_numpy(np.ascontiguousarray(c.rows, dtype=np.float32)),
            torch.from_numpy(c.row_entry.astype(np.int64)),
            c.entries,
        )
        for c in cities
    ]
    for _ in range(epochs):
        optimiser.zero_grad()
        loss = torch.zeros(())
        for queries, labels, rows, row_entry, entries in data:
            moved = torch.nn.functional.normalize(queries + (queries @ down) @ up, dim=1)
            sims = moved @ rows.T
            scores = torch.full((len(queries), entries), -2.0).scatter_reduce(
                1, row_entry.expand(len(queries), -1), sims, reduce="amax"
            )
            loss = loss + torch.nn.functional.cross_entropy(scores * TEMPERATURE, labels)
        loss = loss / len(data) + l2 * (down @ up).pow(2).sum()
        loss.backward()
        optimiser.step()
    return QueryAdapter(down.detach().numpy().copy(), up.detach().numpy().copy(), list(names))
