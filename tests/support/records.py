"""Learned-search records of small synthetic cities (hashing embedder): each entry's own question, labelled, and
one out-of-scope question; three cities sharing entries, for "fitted without this city" tests."""

from __future__ import annotations

from knowledge.cityrecords import City, QueryRecord, collect
from knowledge.embedders import HashingEmbedder
from knowledge.evaluation import EvalQuery
from knowledge.kb import FaqEntry
from knowledge.search import FaqSearcher


def records_of(entries: list[FaqEntry]) -> list[QueryRecord]:
    queries = [EvalQuery(e.question, e.id, "formal") for e in entries] + [
        EvalQuery("今日の天気は", "", "oos")
    ]
    return collect(FaqSearcher(HashingEmbedder()), City("x", entries, queries))


def three_cities(entries: list[FaqEntry]) -> dict[str, list[QueryRecord]]:
    """``a`` and ``b`` each half of the entries, ``c`` all of them."""
    half = len(entries) // 2
    return {"a": records_of(entries[:half]), "b": records_of(entries[half:]), "c": records_of(entries)}
