"""BM25 over character uni- and bigrams of normalised text.

Japanese has no spaces, and residents write the same word in many ways; character n-grams of the
:meth:`knowledge.normalize.Normalizer.key` form are a robust lexical signal (see docs/FACTS: char
uni+bigram BM25 beat word-token BM25 on casual queries). Documents are bags of weighted fields, so a
question counts more than the answer text (a simple BM25F).

Scores are also given normalised to [0, 1]: the raw score divided by the best score any document could
reach for that query, where query terms the corpus has never seen count at full idf. Nonsense input
therefore scores near 0 — a usable "no meaningful overlap" signal.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["Bm25Index", "char_ngrams"]


def char_ngrams(key: str) -> list[str]:
    """Unigrams and bigrams of each space-separated chunk of a normalised key.

    ASCII words are kept whole as well (``mynumber``), so English and romaji match by word.
    """
    grams: list[str] = []
    for chunk in key.split():
        grams.extend(chunk)
        grams.extend(chunk[i : i + 2] for i in range(len(chunk) - 1))
        if len(chunk) > 2 and chunk.isascii():
            grams.append(chunk)
    return grams


class Bm25Index:
    """An in-memory BM25F index. Build once with :meth:`build`, then :meth:`search` many times."""

    def __init__(self, k1: float = 1.2, b: float = 0.6) -> None:
        self.k1 = k1
        self.b = b
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._idf: dict[str, float] = {}
        self._size = 0
        self._unseen_idf = 0.0

    def __len__(self) -> int:
        return self._size

    def build(self, documents: Sequence[Iterable[tuple[str, float]]]) -> Bm25Index:
        """Index documents given as ``[(normalised_text, field_weight), ...]`` each."""
        term_freqs: list[dict[str, float]] = []
        lengths = np.zeros(len(documents), dtype=np.float64)
        for index, fields in enumerate(documents):
            counts: dict[str, float] = {}
            for text, weight in fields:
                for gram in char_ngrams(text):
                    counts[gram] = counts.get(gram, 0.0) + weight
            term_freqs.append(counts)
            lengths[index] = sum(counts.values())
        self._size = len(documents)
        average = float(lengths.mean()) if self._size and lengths.mean() > 0 else 1.0
        doc_freq: Counter[str] = Counter()
        for counts in term_freqs:
            doc_freq.update(counts.keys())
        n = max(self._size, 1)
        self._idf = {t: math.log(1.0 + (n - df + 0.5) / (df + 0.5)) for t, df in doc_freq.items()}
        self._unseen_idf = math.log(1.0 + (n + 0.5) / 0.5)
        ids: dict[str, list[int]] = {}
        weights: dict[str, list[float]] = {}
        for index, counts in enumerate(term_freqs):
            norm = self.k1 * (1.0 - self.b + self.b * lengths[index] / average)
            for term, tf in counts.items():
                ids.setdefault(term, []).append(index)
                weights.setdefault(term, []).append(self._idf[term] * tf * (self.k1 + 1.0) / (tf + norm))
        self._postings = {
            t: (np.asarray(ids[t], dtype=np.int64), np.asarray(weights[t], dtype=np.float32)) for t in ids
        }
        return self

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._unseen_idf)

    def scores(self, key: str) -> tuple[np.ndarray, float]:
        """Raw BM25 scores of every document for a normalised query, and the query's best possible score."""
        scores = np.zeros(self._size, dtype=np.float32)
        query = Counter(char_ngrams(key))
        ceiling = 0.0
        for term, count in query.items():
            weight = 1.0 + 0.5 * math.log(count)  # repeated terms count, sublinearly
            ceiling += weight * self.idf(term) * (self.k1 + 1.0)
            posting = self._postings.get(term)
            if posting is not None:
                scores[posting[0]] += weight * posting[1]
        return scores, ceiling

    def search(self, key: str, k: int = 10) -> list[tuple[int, float, float]]:
        """Top ``k`` documents as ``(index, raw_score, normalised_score)``, best first, scores > 0 only."""
        if self._size == 0 or k <= 0:
            return []
        scores, ceiling = self.scores(key)
        return top_k(scores, k, ceiling)


def top_k(scores: np.ndarray, k: int, ceiling: float) -> list[tuple[int, float, float]]:
    """Best ``k`` positive entries of ``scores`` with their score divided by ``ceiling``."""
    k = min(k, scores.shape[0])
    if k <= 0:
        return []
    candidates = np.argpartition(-scores, k - 1)[:k] if k < scores.shape[0] else np.arange(scores.shape[0])
    ordered = candidates[np.argsort(-scores[candidates], kind="stable")]
    scale = ceiling if ceiling > 0 else 1.0
    return [(int(i), float(scores[i]), float(min(scores[i] / scale, 1.0))) for i in ordered if scores[i] > 0]
