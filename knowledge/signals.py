"""What the first stage of the FAQ search measures for one query: a calibrated score per entry and signal."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

__all__ = ["Signals"]


@dataclass(frozen=True)
class Signals:
    """One query's calibrated scores per entry, one array per signal, and what kind of query it is."""

    dense: np.ndarray  # best row of any kind (question, keywords, answer, English answer, reading)
    dense_question: np.ndarray  # best question or keywords row only
    lexical: np.ndarray
    kana: np.ndarray
    kana_query: bool  # no kanji: hiragana/katakana only
    latin_query: bool  # English or romaji
    foreign_query: bool  # Chinese or Korean
    dense_answer: np.ndarray  # best answer row only (answer, English answer)
    lexical_question: np.ndarray  # BM25 over the questions and keywords only
    lexical_answer: np.ndarray  # BM25 over the answers only
    question_chars: np.ndarray  # length of each entry's question (terse FAQs answer in the answer)
    query_chars: int
    second: np.ndarray  # the second embedder's best row (cosine; 0 when there is no second embedder)
    second_question: np.ndarray  # its best question or keywords row
    # the best question or keywords row for the query vector moved by the ranker's query adapter (cosine;
    # knowledge.adapter); 0 without one, and for entries not reranked
    adapted_question: np.ndarray
    # the question bank's vote for each candidate and its best neighbour-times-closeness (knowledge.bank); 0
    # without a bank, and for entries not reranked
    bank_vote: np.ndarray
    bank_top: np.ndarray
    bank_nearest: float = 0.0  # cosine of the nearest bank question (0 without a bank)
    bank_outside: float = 0.0  # cosine of the nearest out-of-scope bank question (0 without a bank)

    def take(self, order: np.ndarray) -> Signals:
        """The same signals for the entries ``order`` only, in that order."""
        arrays = {name: value[order] for name, value in vars(self).items() if isinstance(value, np.ndarray)}
        return replace(self, **arrays)
