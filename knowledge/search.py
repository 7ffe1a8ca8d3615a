"""Hybrid FAQ search with an honest answer / choose / unknown decision.

Three signals score every active entry:

* dense — cosine between the e5 query vector and the entry's rows (question, alternatives, keywords,
  answer, English answer; kana readings when the query has no kanji), best row per entry;
* lexical — BM25 over character uni+bigrams of the normalised question/alternatives/keywords/answer;
* kana — BM25 over character bigrams of hiragana readings (kana-only queries, IME typos).

Each signal is calibrated to [0, 1] (dense: a linear map of the embedder's cosine range; BM25: share of
the query's best possible score) and fused as a weighted mean. The top fused score and its margin over
the runner-up decide: ``answer`` (one clear winner), ``choose`` (ask the resident to pick among 2–3) or
``unknown``. Screened input (injection, abuse, symbols only, mashing) and input with no meaningful
overlap with the FAQ are always ``unknown``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np

from knowledge.embedders import Embedder, dense_range_for
from knowledge.faq_index import FaqIndex, RowKind
from knowledge.kb import FaqEntry
from knowledge.lexical import top_k
from knowledge.normalize import Normalizer, has_kanji, is_foreign, is_kana_only, is_latin
from knowledge.ranker import CANDIDATES, RankerModel, pair_features, query_features, second_stage_signals
from knowledge.reading import Reader
from knowledge.screening import screen
from knowledge.signals import Signals

__all__ = ["FaqSearcher", "Hit", "SearchOutcome", "SearchTuning", "Signals", "dense_range_for"]

Decision = Literal["answer", "choose", "unknown"]


@dataclass(frozen=True)
class Hit:
    faq_id: str
    score: float
    question: str


@dataclass(frozen=True)
class SearchOutcome:
    decision: Decision
    hits: list[Hit]
    reason: str


@dataclass(frozen=True)
class SearchTuning:
    """General parameters of fusion and decision (tuned on the labelled evaluation set)."""

    dense_low: float = 0.75  # cosine that counts as 0 (unrelated)
    dense_high: float = 0.93  # cosine that counts as 1 (same question)
    dense_weight: float = 0.50
    lexical_weight: float = 0.35
    kana_weight: float = 0.20
    kana_query_kana_weight: float = 0.50  # kana weight when the query has no kanji
    latin_query_dense_weight: float = 0.85  # queries in English/romaji lean on the multilingual model
    latin_query_lexical_factor: float = 0.3  # English stop words make lexical matches noisy
    answer_row_penalty: float = 0.02
    reading_row_penalty: float = 0.03  # for queries that do contain kanji
    answer_threshold: float = 0.50
    answer_margin: float = 0.05
    choose_threshold: float = 0.35
    choose_window: float = 0.12
    strict_answer_threshold: float = 0.70
    strict_answer_margin: float = 0.15
    min_overlap: float = 0.12  # below this (lexical & kana) a query needs a strong dense match
    min_dense_without_overlap: float = 0.55
    candidates: int = 50


def tuning_for(embedder: Embedder) -> SearchTuning:
    """The default tuning with the embedder's cosine range; a tuned question model brings its own range, and the
    row penalties (in cosine units) scale with it."""
    own = getattr(embedder, "dense_range", None)
    low, high = own or dense_range_for(embedder.name)
    scale = (high - low) / (SearchTuning.dense_high - SearchTuning.dense_low) if own else 1.0
    answer, reading = SearchTuning.answer_row_penalty * scale, SearchTuning.reading_row_penalty * scale
    return SearchTuning(
        dense_low=low, dense_high=high, answer_row_penalty=answer, reading_row_penalty=reading
    )


class FaqSearcher:
    """Search over FAQ entries. Call :meth:`rebuild` after every change of the entries."""

    def __init__(
        self,
        embedder: Embedder,
        cache_dir: str | Path | None = None,
        synonyms: Mapping[str, str] | None = None,
        tuning: SearchTuning | None = None,
        reader: Reader | None = None,
        ranker: RankerModel | None = None,
        second_embedder: Embedder | None = None,
    ) -> None:
        self.embedder = embedder
        self.second_embedder = second_embedder
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.normalizer = Normalizer(synonyms)
        self.tuning = tuning or tuning_for(embedder)
        self.reader = reader or Reader()
        # The learned second stage applies only to the embedder it was fitted with.
        self.ranker = ranker if ranker is not None and ranker.fits(embedder, second_embedder) else None
        self._index: FaqIndex | None = None
        self._lock = threading.Lock()

    @property
    def index(self) -> FaqIndex:
        if self._index is None:
            raise RuntimeError("FaqSearcher.rebuild(entries) must be called before searching")
        return self._index

    @property
    def entries(self) -> list[FaqEntry]:
        return self.index.entries

    def rebuild(self, entries: list[FaqEntry], progress: Callable[[int, int], None] | None = None) -> None:
        """(Re)index ``entries``; embeds only texts not in the on-disk cache. Swaps atomically."""
        index = FaqIndex.build(
            list(entries),
            self.embedder,
            self.normalizer,
            self.reader,
            self.cache_dir,
            progress,
            second_embedder=self.second_embedder,
        )
        with self._lock:
            self._index = index

    def with_tuning(self, **changes: Any) -> FaqSearcher:
        """A searcher sharing this index with some tuning parameters changed (for evaluation)."""
        clone = FaqSearcher.__new__(FaqSearcher)
        clone.__dict__.update(self.__dict__)
        clone.tuning = replace(self.tuning, **changes)
        return clone

    # -- signals ------------------------------------------------------------------------------------

    def signal_scores(self, query: str) -> Signals:
        """Calibrated per-entry scores of each signal (arrays over all entries, in [0, 1])."""
        return self.signals_and_vector(query)[0]

    def signals_and_vector(self, query: str) -> tuple[Signals, np.ndarray | None]:
        """:meth:`signal_scores` and the query's embedding (None when the index holds no vectors)."""
        index, tuning = self.index, self.tuning
        clean = self.normalizer.clean(query)
        key = self.normalizer.key(query)
        kana_query = is_kana_only(clean) and not has_kanji(clean)
        latin_query = is_latin(clean)
        n = len(index.entries)
        lexical, lexical_ceiling = index.lexical.scores(key)
        kana_key = self.normalizer.key(self.reader.read(clean))
        kana, kana_ceiling = index.kana.scores(kana_key)
        dense = np.full(n, -1.0, dtype=np.float32)
        dense_question = np.full(n, -1.0, dtype=np.float32)
        dense_answer = np.full(n, -1.0, dtype=np.float32)
        vector = None
        if index.dense.ntotal:
            vector = self.embedder.embed_queries([clean])
            rows = min(index.dense.ntotal, max(tuning.candidates * 8, 256))
            sims, ids = index.dense.search(vector, rows)
            penalties = np.zeros(len(ids[0]), dtype=np.float32)
            kinds = index.row_kind[ids[0]]
            penalties[kinds == RowKind.ANSWER] = tuning.answer_row_penalty
            penalties[kinds == RowKind.ENGLISH] = tuning.answer_row_penalty
            if not kana_query:
                penalties[kinds == RowKind.READING] = tuning.reading_row_penalty
            adjusted = sims[0] - penalties
            floor = float(adjusted.min()) if len(adjusted) == index.dense.ntotal else float(sims[0][-1])
            dense[:] = floor
            dense_question[:] = floor
            dense_answer[:] = floor
            np.maximum.at(dense, index.row_entry[ids[0]], adjusted)
            asked = (kinds == RowKind.QUESTION) | (kinds == RowKind.KEYWORDS)
            np.maximum.at(dense_question, index.row_entry[ids[0]][asked], sims[0][asked])
            told = (kinds == RowKind.ANSWER) | (kinds == RowKind.ENGLISH)
            np.maximum.at(dense_answer, index.row_entry[ids[0]][told], sims[0][told])
        span = max(tuning.dense_high - tuning.dense_low, 1e-6)
        second, second_question = self._second_scores(clean, n)
        signals = Signals(
            dense=np.clip((dense - tuning.dense_low) / span, 0.0, 1.0),
            dense_question=np.clip((dense_question - tuning.dense_low) / span, 0.0, 1.0),
            lexical=np.clip(lexical / max(lexical_ceiling, 1e-9), 0.0, 1.0),
            kana=np.clip(kana / max(kana_ceiling, 1e-9), 0.0, 1.0),
            kana_query=kana_query,
            latin_query=latin_query,
            foreign_query=is_foreign(clean),
            dense_answer=np.clip((dense_answer - tuning.dense_low) / span, 0.0, 1.0),
            lexical_question=_share(*index.lexical_question.scores(key)),
            lexical_answer=_share(*index.lexical_answer.scores(key)),
            question_chars=index.question_chars,
            query_chars=len(clean),
            second=second,
            second_question=second_question,
            adapted_question=np.zeros(n, dtype=np.float32),
            bank_vote=np.zeros(n, dtype=np.float32),
            bank_top=np.zeros(n, dtype=np.float32),
        )
        return signals, vector

    def _second_stage(self, signals: Signals, vector: np.ndarray | None, candidates: np.ndarray) -> Signals:
        """``signals`` with the query adapter's and the question bank's scores of the candidates."""
        if self.ranker is None or vector is None:
            return signals
        index = self.index
        entries = index.question_vectors() if self.ranker.bank is not None else None
        return second_stage_signals(
            self.ranker, signals, vector[0], index.entry_rows(candidates), candidates, entries
        )

    def _second_scores(self, clean: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Best cosine per entry from the second embedder (any row; question rows only), zeros without one."""
        second = self.index.second
        if second is None or self.second_embedder is None or not len(second.vectors):
            return np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.float32)
        return second.scores(self.second_embedder.embed_queries([clean])[0], n)

    def fuse(self, signals: Signals) -> np.ndarray:
        """The hand-weighted mean of the signals (the first-stage ranking)."""
        tuning = self.tuning
        kana_weight = tuning.kana_query_kana_weight if signals.kana_query else tuning.kana_weight
        dense_weight, lexical_weight = tuning.dense_weight, tuning.lexical_weight
        if signals.latin_query:
            dense_weight, kana_weight = tuning.latin_query_dense_weight, 0.0
            lexical_weight *= tuning.latin_query_lexical_factor
        total = dense_weight + lexical_weight + kana_weight
        fused = (
            dense_weight * signals.dense + lexical_weight * signals.lexical + kana_weight * signals.kana
        ) / total
        return fused.astype(np.float32)

    # -- public search ------------------------------------------------------------------------------

    def rank(self, query: str, k: int = 10, today: date | None = None) -> list[Hit]:
        """The best ``k`` active entries (learned order when a ranker is loaded), no screening or decision."""
        if self.ranker is not None:
            return self._learned(query, today)[0][:k]
        return self._ranked(query, k, today)[0]

    def _learned(self, query: str, today: date | None) -> tuple[list[Hit], float]:
        """Rerank the first stage's candidates; also the calibrated probability that the first hit is right."""
        assert self.ranker is not None
        index = self.index
        signals, vector = self.signals_and_vector(query)
        fused = self.fuse(signals)
        ranked = _rank(np.where(index.active_mask(today), fused, -np.inf), CANDIDATES)
        if not ranked:
            return [], 0.0
        candidates = np.array([i for i, _ in ranked], dtype=np.int64)
        signals = self._second_stage(signals, vector, candidates)
        logits = self.ranker.reranker.logits(pair_features(signals, fused, candidates))
        order = np.argsort(-logits, kind="stable")
        shares = np.exp(logits - logits.max())
        shares /= shares.sum()
        hits = [
            Hit(
                index.entries[candidates[o]].id,
                round(float(shares[o]), 4),
                index.entries[candidates[o]].question,
            )
            for o in order
        ]
        features = query_features(signals, logits, order, candidates)
        return hits, float(self.ranker.calibrator.probability(features[None, :])[0])

    def _ranked(self, query: str, k: int, today: date | None) -> tuple[list[Hit], Signals, int]:
        index = self.index
        signals = self.signal_scores(query)
        fused = self.fuse(signals)
        active = index.active_mask(today)
        ranked = _rank(np.where(active, fused, -np.inf), k)
        hits = [Hit(index.entries[i].id, round(float(s), 4), index.entries[i].question) for i, s in ranked]
        return hits, signals, (ranked[0][0] if ranked else -1)

    def search(
        self, query: str, k: int = 3, strict: bool = False, today: date | None = None
    ) -> SearchOutcome:
        """Find the entry answering ``query`` and decide how confident the bot may be."""
        reason = screen(query)
        if reason is not None:
            return SearchOutcome("unknown", [], reason)
        known = self._asked_before(query, today)
        if known is not None:
            return known
        if self.ranker is not None:
            return self._decide_calibrated(*self._learned(query, today), k)
        hits, signals, best = self._ranked(query, max(k, 3), today)
        if not hits:
            return SearchOutcome("unknown", [], "no_match")
        return self._decide(hits, signals, best, k, strict)

    def _asked_before(self, query: str, today: date | None) -> SearchOutcome | None:
        """A question that is word for word (after normalisation) one entry's question or alternative — staff
        attach unanswered questions to entries as alternatives — is answered with that entry."""
        index = self.index
        found = index.asked.get(self.normalizer.key(query), [])
        active = [i for i in found if index.active_mask(today)[i]]
        if len(active) != 1:
            return None
        entry = index.entries[active[0]]
        return SearchOutcome("answer", [Hit(entry.id, 1.0, entry.question)], "asked before")

    def _decide(self, hits: list[Hit], signals: Signals, best: int, k: int, strict: bool) -> SearchOutcome:
        tuning = self.tuning
        top = hits[0].score
        second = hits[1].score if len(hits) > 1 else 0.0
        overlap = max(float(signals.lexical[best]), float(signals.kana[best]))
        if signals.latin_query:
            overlap = max(overlap, float(signals.dense[best]))
        if overlap < tuning.min_overlap and float(signals.dense[best]) < tuning.min_dense_without_overlap:
            return SearchOutcome("unknown", [], "no_overlap")
        threshold = tuning.strict_answer_threshold if strict else tuning.answer_threshold
        margin = tuning.strict_answer_margin if strict else tuning.answer_margin
        if top >= threshold and top - second >= margin:
            return SearchOutcome("answer", hits[:k], f"score {top:.2f}, margin {top - second:.2f}")
        choose_at = tuning.answer_threshold if strict else tuning.choose_threshold
        if top >= choose_at:
            close = [h for h in hits[: max(k, 3)] if h.score >= top - tuning.choose_window][:3]
            if len(close) < 2:
                close = hits[:2]
            return SearchOutcome("choose", close, f"score {top:.2f}, margin {top - second:.2f}")
        return SearchOutcome("unknown", [], f"low score {top:.2f}")

    def _decide_calibrated(self, hits: list[Hit], p_right: float, k: int) -> SearchOutcome:
        """Answer when the top entry is right with probability ``answer_at``; else offer the close ones."""
        assert self.ranker is not None
        if not hits:
            return SearchOutcome("unknown", [], "no_match")
        # ``strict`` (DIET sure the message is off-topic) is not used here: DIET learned the demo city's notion of
        # scope, while the calibrator learned to refuse out-of-scope questions on other cities (measured: the
        # strict bar cost 70 in-scope questions of new cities through the chat API and refused no more).
        answer_at = self.ranker.answer_at
        why = f"p {p_right:.3f}"
        if p_right >= answer_at:
            return SearchOutcome("answer", hits[:k], why)
        if p_right >= self.ranker.choose_at:
            top = hits[0].score
            close = [h for h in hits[:3] if h.score >= top * 0.1]
            return SearchOutcome("choose", close if len(close) >= 2 else hits[:2], why)
        return SearchOutcome("unknown", [], "low " + why)

    def rank_bm25(self, query: str, k: int = 10, today: date | None = None) -> list[Hit]:
        """Baseline ranking: lexical BM25 alone over active entries (normalised scores)."""
        index = self.index
        scores, ceiling = index.lexical.scores(self.normalizer.key(query))
        scores = np.where(index.active_mask(today), scores, 0.0)
        return [
            Hit(index.entries[i].id, round(norm, 4), index.entries[i].question)
            for i, _, norm in top_k(scores, k, ceiling)
        ]

    def search_bm25_only(self, query: str, k: int = 3, today: date | None = None) -> SearchOutcome:
        """Baseline: lexical BM25 alone with the same decision rule shape (for evaluation)."""
        hits = self.rank_bm25(query, max(k, 3), today)
        if not hits:
            return SearchOutcome("unknown", [], "no_match")
        top = hits[0].score
        second = hits[1].score if len(hits) > 1 else 0.0
        if top >= 0.5 and top - second >= 0.1:
            return SearchOutcome("answer", hits[:k], "bm25")
        if top >= 0.3:
            return SearchOutcome("choose", hits[:3], "bm25")
        return SearchOutcome("unknown", [], "bm25 low score")


def _share(scores: np.ndarray, ceiling: float) -> np.ndarray:
    """BM25 scores as the share of the query's best possible score, in [0, 1]."""
    return np.clip(scores / max(ceiling, 1e-9), 0.0, 1.0)


def _rank(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Best ``k`` finite scores as ``(index, score)``, best first."""
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return []
    candidates = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    ordered = candidates[np.argsort(-scores[candidates], kind="stable")]
    return [(int(i), float(scores[i])) for i in ordered if np.isfinite(scores[i])]
