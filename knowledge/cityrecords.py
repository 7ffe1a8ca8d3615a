"""A city's labelled questions as the learned search sees them: each question's first-stage candidates, their
features and embeddings (:func:`collect`), and the query adapter's score added without the city it scores
(:func:`with_adapter`, :class:`Adapters`). :mod:`knowledge.crosscity` fits and scores on these records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from knowledge.adapter import AdapterCity, QueryAdapter, adapted_scores, fit_adapter
from knowledge.bank import BankCity, QuestionBank, entry_vectors, fit_bank
from knowledge.e5_tuning import TuningCity, tuning_city
from knowledge.evaluation import EvalQuery, read_queries
from knowledge.faq_index import RowKind
from knowledge.kb import FaqEntry
from knowledge.kb_io import read_kb_file
from knowledge.ranker import ADAPTER_FEATURES, BANK_FEATURES, CANDIDATES, PAIR_FEATURES, pair_features
from knowledge.search import FaqSearcher
from knowledge.signals import Signals

__all__ = [
    "Adapters",
    "Banks",
    "bank_city",
    "with_bank",
    "City",
    "CityRows",
    "QueryRecord",
    "adapter_city",
    "collect",
    "load_city",
    "tuning_material",
    "with_adapter",
]

NOT_QUERIES = ("faq.csv", "synonyms.csv")  # the other CSV files of a city folder are labelled questions


@dataclass
class City:
    name: str
    entries: list[FaqEntry]
    queries: list[EvalQuery]


@dataclass(frozen=True)
class CityRows:
    """A city's embedded FAQ rows but readings (shared by its records), for the query adapter."""

    ids: tuple[str, ...]  # the entries, in index order
    rows: np.ndarray
    row_entry: np.ndarray
    row_kind: np.ndarray  # knowledge.faq_index.RowKind

    @property
    def asked(self) -> np.ndarray:
        """Which rows are questions or keywords (what the adapter is fitted to find)."""
        return self.row_kind <= RowKind.KEYWORDS


@dataclass
class QueryRecord:
    """One question's first-stage candidates and their features, and what the hand-tuned searcher decided."""

    query: EvalQuery
    candidate_ids: list[str]
    pairs: np.ndarray  # (candidates, PAIR_FEATURES)
    signals: Signals  # sliced to the candidates, in candidate order
    baseline_decision: str
    baseline_ids: list[str]
    vector: np.ndarray | None = None  # the query's embedding (the adapter moves it)
    candidates: np.ndarray | None = None  # the candidates' entry indices
    city_rows: CityRows | None = None

    @property
    def label(self) -> int:
        """Index of the right entry among the candidates; -1 when absent or out of scope."""
        if self.query.expected_id in self.candidate_ids:
            return self.candidate_ids.index(self.query.expected_id)
        return -1


def load_city(folder: str | Path, name: str | None = None, kb: str | Path | None = None) -> City:
    folder = Path(folder)
    result = read_kb_file(kb or folder / "faq.csv")
    if result.errors:
        raise ValueError(f"{folder}: " + "; ".join(str(e) for e in result.errors[:5]))
    queries: list[EvalQuery] = []
    for path in sorted(folder.glob("*.csv")):
        if path.name not in NOT_QUERIES:
            queries += read_queries(path)
    return City(name or folder.name, result.entries, queries)


def collect(
    searcher: FaqSearcher, city: City, progress: Callable[[int, int], None] | None = None
) -> list[QueryRecord]:
    """Index the city's FAQ in ``searcher`` (hand-tuned, no ranker) and record every question's signals."""
    searcher.ranker = None
    searcher.rebuild(city.entries)
    ids = [e.id for e in searcher.entries]
    city_rows = CityRows(tuple(ids), *searcher.index.entry_rows(np.arange(len(ids))))
    records = []
    for n, query in enumerate(city.queries):
        signals, vector = searcher.signals_and_vector(query.text)
        fused = searcher.fuse(signals)
        order = np.argsort(-fused, kind="stable")[:CANDIDATES]
        baseline = searcher.search(query.text, k=3)
        sliced = signals.take(order)
        records.append(
            QueryRecord(
                query,
                [ids[i] for i in order],
                pair_features(signals, fused, order),
                sliced,
                baseline.decision,
                [h.faq_id for h in baseline.hits],
                None if vector is None else vector[0],
                order,
                city_rows,
            )
        )
        if progress:
            progress(n + 1, len(city.queries))
    return records


def tuning_material(searcher: FaqSearcher, city: City) -> TuningCity:
    """The city's labelled questions, out-of-scope ones too (cleaned as the search cleans them), and its FAQ
    rows, embedded by the searcher's model: what :mod:`knowledge.e5_tuning` trains the question model on."""
    searcher.ranker = None
    searcher.rebuild(city.entries)
    ids = [e.id for e in searcher.entries]
    position = {entry_id: n for n, entry_id in enumerate(ids)}
    rows, row_entry, _kinds = searcher.index.entry_rows(np.arange(len(ids)))
    labelled = [q for q in city.queries if not q.in_scope or q.expected_id in position]
    return tuning_city(
        city.name,
        [searcher.normalizer.clean(q.text) for q in labelled],
        [position[q.expected_id] if q.in_scope else -1 for q in labelled],
        searcher.embedder,
        rows,
        row_entry,
        len(ids),
    )


# -- the query adapter, fitted without the city it scores ------------------------------------------------------


@dataclass(frozen=True)
class _Embedded:
    """A city's records that carry embeddings: all of them, the labelled in-scope ones, and the city's rows."""

    usable: list[QueryRecord]
    labelled: list[QueryRecord]
    rows: CityRows
    position: dict[str, int]  # entry id -> index in rows.ids


def _embedded(records: Sequence[QueryRecord]) -> _Embedded | None:
    usable = [r for r in records if r.vector is not None and r.city_rows is not None]
    if not usable or usable[0].city_rows is None:
        return None
    rows = usable[0].city_rows
    position = {entry_id: n for n, entry_id in enumerate(rows.ids)}
    labelled = [r for r in usable if r.query.in_scope and r.query.expected_id in position]
    return _Embedded(usable, labelled, rows, position)


def adapter_city(records: Sequence[QueryRecord]) -> AdapterCity | None:
    """A city's records as the adapter's training material (None without embeddings)."""
    city = _embedded(records)
    if city is None:
        return None
    rows, position, labelled = city.rows, city.position, city.labelled
    return AdapterCity(
        np.array([r.vector for r in labelled], dtype=np.float32).reshape(len(labelled), -1),
        np.array([position[r.query.expected_id] for r in labelled], dtype=np.int64),
        rows.rows[rows.asked],
        rows.row_entry[rows.asked],
        len(rows.ids),
    )


def with_adapter(records: Sequence[QueryRecord], adapter: QueryAdapter | None) -> list[QueryRecord]:
    """The records with the adapter's score of each candidate in their pair features and signals."""
    out = []
    columns = [PAIR_FEATURES.index(f) for f in ADAPTER_FEATURES]
    for r in records:
        if adapter is None or r.vector is None or r.city_rows is None or r.candidates is None:
            out.append(r)
            continue
        rows = r.city_rows
        moved = adapter.apply(r.vector[None, :])[0]
        scores = adapted_scores(moved, rows.rows, rows.row_entry, rows.row_kind, len(rows.ids))
        asked = scores[r.candidates].astype(np.float64)
        pairs = r.pairs.copy()
        pairs[:, columns] = np.stack([asked, asked - asked.max()], axis=1)
        signals = replace(r.signals, adapted_question=asked.astype(np.float32))
        out.append(replace(r, pairs=pairs, signals=signals))
    return out


Material = TypeVar("Material")
Fitted = TypeVar("Fitted")


class WithoutCities(Generic[Material, Fitted]):
    """Something fitted on every city but some, each fitted once (a leave-one-city-out round asks for each pair)."""

    def __init__(
        self,
        by_city: dict[str, list[QueryRecord]],
        material: Callable[[Sequence[QueryRecord]], Material | None],
        fit: Callable[[list[Material], list[str]], Fitted],
        apply: Callable[[Sequence[QueryRecord], Fitted | None], list[QueryRecord]],
    ) -> None:
        self.cities = {name: material(records) for name, records in by_city.items()}
        self._fit = fit
        self._apply = apply
        self._fitted: dict[frozenset[str], Fitted | None] = {}

    def applied(self, by_city: dict[str, list[QueryRecord]], *held: str) -> dict[str, list[QueryRecord]]:
        """Each city's records with what was fitted on neither it nor ``held``."""
        return {name: self._apply(records, self.without(name, *held)) for name, records in by_city.items()}

    def without(self, *names: str) -> Fitted | None:
        key = frozenset(names)
        if key not in self._fitted:
            kept = sorted(n for n, c in self.cities.items() if n not in key and c is not None)
            cities = [c for n in kept if (c := self.cities[n]) is not None]
            self._fitted[key] = self._fit(cities, kept) if cities else None
        return self._fitted[key]


class Adapters(WithoutCities[AdapterCity, QueryAdapter]):
    """Query adapters fitted on every city but some."""

    def __init__(self, by_city: dict[str, list[QueryRecord]]) -> None:
        super().__init__(by_city, adapter_city, fit_adapter, with_adapter)


# -- the question bank, built without the city it scores -------------------------------------------------------


def bank_city(records: Sequence[QueryRecord]) -> BankCity | None:
    """A city's labelled questions and their right entries' vectors, and its out-of-scope questions' vectors, for
    the question bank (None without embeddings)."""
    city = _embedded(records)
    if city is None:
        return None
    position, labelled = city.position, city.labelled
    entries = _entry_vectors(city.rows)
    dim = entries.shape[1]
    outside = [r.vector for r in city.usable if not r.query.in_scope]
    return BankCity(
        np.array([r.vector for r in labelled], dtype=np.float32).reshape(len(labelled), dim),
        entries[[position[r.query.expected_id] for r in labelled]].reshape(len(labelled), dim),
        np.array(outside, dtype=np.float32).reshape(len(outside), dim),
    )


def _entry_vectors(rows: CityRows) -> np.ndarray:
    return entry_vectors(rows.rows, rows.row_entry, rows.row_kind, np.arange(len(rows.ids)))


def with_bank(records: Sequence[QueryRecord], bank: QuestionBank | None) -> list[QueryRecord]:
    """The records with the question bank's vote for each candidate in their pair features and signals."""
    out = []
    columns = [PAIR_FEATURES.index(f) for f in BANK_FEATURES]
    entries: dict[int, np.ndarray] = {}  # a city's entry vectors, by its CityRows
    for r in records:
        if bank is None or r.vector is None or r.city_rows is None or r.candidates is None:
            out.append(r)
            continue
        if id(r.city_rows) not in entries:
            entries[id(r.city_rows)] = _entry_vectors(r.city_rows)
        scores = bank.scores(r.vector, entries[id(r.city_rows)], r.candidates)
        pairs = r.pairs.copy()
        pairs[:, columns] = np.stack([scores.vote, scores.vote - scores.vote.max(), scores.top], axis=1)
        signals = replace(
            r.signals,
            bank_vote=scores.vote.astype(np.float32),
            bank_top=scores.top.astype(np.float32),
            bank_nearest=scores.nearest,
            bank_outside=scores.outside,
        )
        out.append(replace(r, pairs=pairs, signals=signals))
    return out


class Banks(WithoutCities[BankCity, QuestionBank]):
    """Question banks of every city but some."""

    def __init__(self, by_city: dict[str, list[QueryRecord]]) -> None:
        super().__init__(by_city, bank_city, fit_bank, with_bank)
