"""A question bank: how residents of *other* cities asked about the same procedure, carried over to a new city.

A new city's FAQ says 「死亡届」 where a resident types 「ばあちゃんが亡くなったんだけど、役場で何すればいいの」. Other
cities' residents asked that way too, and their questions are labelled with their own city's entry. The bank keeps
each such question's embedding beside the embedding of the entry it was labelled with (that city's FAQ question).
For a new question, its nearest bank questions vote for the local candidates whose own question is close to the
entry each bank question was labelled with: the resident's wording reaches the city's entry through what other
residents meant by it. The votes are reranker features (:mod:`knowledge.ranker`); the nearest bank question's
cosine, the winner's vote and the nearest *out-of-scope* bank question's cosine (what other cities' FAQs did not
answer: 「住民票の写しって何ヶ月有効？」) are calibrator features.

The bank is fitted like the query adapter: from the labelled questions of the evaluation cities
(``madoguchi eval-cities --fit``), never with the city it scores (leave-one-city-out), and stored beside the
ranker file as ``ranker.bank.npz`` (float16 vectors; no text of the questions is kept). Applying it is two matrix
products in numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["BankCity", "BankScores", "QuestionBank", "entry_vectors", "fit_bank"]

NEIGHBOURS = 20  # the bank questions that vote
TEMPERATURE = 0.02  # softmax temperature over their cosines (sharp: the nearest few decide)
QUESTION_KINDS = (
    0,
)  # knowledge.faq_index.RowKind.QUESTION: an entry is represented by its own question's row


@dataclass(frozen=True)
class BankCity:
    """One city's part of the bank: its labelled questions' vectors and the vector of each one's right entry, and
    its out-of-scope questions' vectors."""

    questions: np.ndarray  # (n, dim) unit vectors
    entries: np.ndarray  # (n, dim) unit vectors
    outside: np.ndarray | None = None  # (m, dim) unit vectors of questions the city's FAQ does not answer


@dataclass(frozen=True)
class BankScores:
    vote: np.ndarray  # (candidates,) share of the neighbours' vote carried to each candidate
    top: np.ndarray  # (candidates,) best neighbour cosine × entry-to-candidate cosine
    nearest: float  # cosine of the nearest bank question
    outside: float  # cosine of the nearest out-of-scope bank question


@dataclass
class QuestionBank:
    questions: np.ndarray  # (n, dim) float32, unit
    entries: np.ndarray  # (n, dim) float32, unit
    fitted_on: list[str] = field(default_factory=list)
    # which city of fitted_on each question came from (index into it; -1 when not named)
    sources: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    outside: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))  # (m, dim)
    outside_sources: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))

    def without(self, *names: str) -> QuestionBank:
        """The bank without the questions of the named cities (to score one of them as a city it never saw)."""
        if len(self.sources) != len(self.questions) or len(self.outside_sources) != len(self.outside):
            raise ValueError("this bank does not say which city each question came from")
        dropped = [self.fitted_on.index(n) for n in names if n in self.fitted_on]
        kept_names = [n for n in self.fitted_on if n not in names]
        renumber = {self.fitted_on.index(n): k for k, n in enumerate(kept_names)}

        def kept(sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            keep = ~np.isin(sources, dropped)
            return keep, np.array([renumber.get(int(i), -1) for i in sources[keep]], dtype=np.int16)

        keep, sources = kept(self.sources)
        keep_outside, outside_sources = kept(self.outside_sources)
        return QuestionBank(
            self.questions[keep],
            self.entries[keep],
            kept_names,
            sources,
            self.outside[keep_outside],
            outside_sources,
        )

    def scores(self, vector: np.ndarray, entries: np.ndarray, candidates: np.ndarray) -> BankScores:
        """The bank's view of one query vector (dim,): ``entries`` are all the city's entry vectors (n, dim)
        (:func:`entry_vectors`), ``candidates`` the indices of the entries to score."""
        query = vector / max(float(np.linalg.norm(vector)), 1e-12)
        outside = float((self.outside @ query).max()) if len(self.outside) else 0.0
        if not len(self.questions) or not len(candidates):
            zero = np.zeros(len(candidates), dtype=np.float64)
            return BankScores(zero, zero.copy(), 0.0, outside)
        sims = self.questions @ query
        k = min(NEIGHBOURS, len(sims))
        near = np.argpartition(-sims, k - 1)[:k]
        near = near[np.argsort(-sims[near], kind="stable")]
        closeness = self.entries[near] @ entries[candidates].T  # (k, candidates)
        weights = np.exp((sims[near] - sims[near[0]]) / TEMPERATURE)
        weights /= weights.sum()
        vote = (weights @ closeness).astype(np.float64)
        top = (sims[near][:, None] * closeness).max(axis=0).astype(np.float64)
        return BankScores(vote, top, float(sims[near[0]]), outside)

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            Path(path),
            questions=self.questions.astype(np.float16),
            entries=self.entries.astype(np.float16),
            fitted_on=np.array(self.fitted_on),
            sources=self.sources.astype(np.int16),
            outside=self.outside.astype(np.float16),
            outside_sources=self.outside_sources.astype(np.int16),
        )

    @classmethod
    def load(cls, path: str | Path) -> QuestionBank:
        with np.load(Path(path), allow_pickle=False) as data:
            return cls(
                _unit(data["questions"].astype(np.float32)),
                _unit(data["entries"].astype(np.float32)),
                [str(n) for n in data["fitted_on"]],
                data["sources"].astype(np.int16),
                _unit(data["outside"].astype(np.float32)),
                data["outside_sources"].astype(np.int16),
            )


def fit_bank(cities: Sequence[BankCity], names: Sequence[str] = ()) -> QuestionBank:
    """The bank of the given cities' labelled and out-of-scope questions; ``names``: the cities, in order."""
    if not any(len(c.questions) for c in cities):
        raise ValueError("the question bank needs labelled questions of at least one city")
    named = len(names) == len(cities)
    dim = next(c.questions.shape[1] for c in cities if len(c.questions))
    outside = [c.outside if c.outside is not None else np.zeros((0, dim)) for c in cities]

    def sources(parts: Sequence[np.ndarray]) -> np.ndarray:
        return np.concatenate(
            [np.full(len(x), k if named else -1, dtype=np.int16) for k, x in enumerate(parts)]
        )

    return QuestionBank(
        _unit(np.vstack([c.questions for c in cities]).astype(np.float32)),
        _unit(np.vstack([c.entries for c in cities]).astype(np.float32)),
        list(names),
        sources([c.questions for c in cities]),
        _unit(np.vstack(outside).reshape(-1, dim).astype(np.float32)),
        sources(outside),
    )


def entry_vectors(
    rows: np.ndarray, row_entry: np.ndarray, row_kind: np.ndarray, entries: np.ndarray
) -> np.ndarray:
    """One unit vector per entry of ``entries`` (indices): its own question's row — the first question row among
    the given rows (index order), so alternatives that staff attach later do not move it — or the mean of all its
    rows when it has no question row (zeros for an entry with no row at all)."""
    out = np.zeros((len(entries), rows.shape[1] if rows.ndim == 2 else 0), dtype=np.float32)
    asked = np.isin(row_kind, QUESTION_KINDS)
    for n, entry in enumerate(entries):
        mine = row_entry == entry
        own = np.flatnonzero(mine & asked)
        if len(own):
            out[n] = rows[own[0]]
        elif mine.any():
            out[n] = rows[mine].mean(axis=0)
    return _unit(out)


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)
