"""On-disk cache of passage embeddings, keyed by model name + text hash.

Rebuilding the index after a staff member edits one FAQ only embeds the texts that changed. One file per
model (``<cache_dir>/embeddings/<model>.npz``), written atomically (temp file + rename) so a crash or a
concurrent reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["EmbeddingCache", "atomic_write_bytes", "text_hash"]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class EmbeddingCache:
    """Vectors of passages for one model. ``cache_dir=None`` keeps nothing on disk."""

    def __init__(self, cache_dir: str | Path | None, model_name: str, dim: int) -> None:
        self.model_name = model_name
        self.dim = dim
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_name)[:120]
        self.path = Path(cache_dir) / "embeddings" / f"{safe}.npz" if cache_dir else None
        self._vectors: dict[str, np.ndarray] = {}
        self.hits = 0
        self.misses = 0
        self._load()

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            with np.load(self.path, allow_pickle=False) as data:
                if str(data["model"]) != self.model_name or data["vectors"].shape[1:] != (self.dim,):
                    return
                self._vectors = dict(zip(data["hashes"].tolist(), data["vectors"], strict=True))
        except (OSError, ValueError, KeyError):
            self._vectors = {}  # a corrupt cache is only a slower rebuild

    def embed(
        self,
        texts: list[str],
        embed_passages: Callable[[list[str]], np.ndarray],
        batch_size: int = 64,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """Vectors for ``texts`` (in order), embedding only those not cached. Calls ``progress(done, total)``."""
        keys = [text_hash(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}.items())
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        total = len(missing)
        if progress:
            progress(0, total)
        for start in range(0, total, batch_size):
            batch = missing[start : start + batch_size]
            vectors = embed_passages([t for _, t in batch])
            for (key, _), vector in zip(batch, vectors, strict=True):
                self._vectors[key] = np.asarray(vector, dtype=np.float32)
            if progress:
                progress(min(start + batch_size, total), total)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self._vectors[k] for k in keys]).astype(np.float32)

    def save(self, keep: list[str] | None = None) -> None:
        """Persist the cache; with ``keep`` only the vectors of those texts (drops stale ones)."""
        if self.path is None:
            return
        if keep is not None:
            wanted = {text_hash(t) for t in keep}
            self._vectors = {k: v for k, v in self._vectors.items() if k in wanted}
        hashes = sorted(self._vectors)
        vectors = (
            np.vstack([self._vectors[h] for h in hashes]) if hashes else np.zeros((0, self.dim), np.float32)
        )
        import io

        buffer = io.BytesIO()
        np.savez(
            buffer, model=np.array(self.model_name), hashes=np.array(hashes, dtype="U32"), vectors=vectors
        )
        atomic_write_bytes(self.path, buffer.getvalue())
