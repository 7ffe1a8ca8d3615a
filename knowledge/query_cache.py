"""Query vectors remembered per text, so that a text is never embedded twice while it is remembered."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from knowledge.embedders import Embedder


class QueryCache:
    """An embedder whose query vectors are remembered (least recently used first out), so that a text is never
    embedded twice while it is remembered: one turn that searches twice, residents who send the same question.
    Passages are not cached here (the index has its own on-disk cache). `hits` and `misses` count texts."""

    def __init__(self, inner: Embedder, size: int = 4096) -> None:
        self.inner = inner
        self.name = inner.name
        self.dense_range = getattr(inner, "dense_range", None)  # a tuned question model's own cosine range
        self.passage_name = getattr(inner, "passage_name", inner.name)
        self.size = size
        self.hits = 0
        self.misses = 0
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self.inner.dim

    def warm_up(self) -> None:
        self.inner.warm_up()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        found: dict[int, np.ndarray] = {}
        with self._lock:
            for i, text in enumerate(texts):
                vector = self._vectors.get(text)
                if vector is not None:
                    self._vectors.move_to_end(text)
                    found[i] = vector
            self.hits += len(found)
            self.misses += len(texts) - len(found)
        missing = [i for i in range(len(texts)) if i not in found]
        if missing:
            fresh = self.inner.embed_queries([texts[i] for i in missing])
            with self._lock:
                for row, i in enumerate(missing):
                    found[i] = fresh[row].copy()
                    self._vectors[texts[i]] = found[i]
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([found[i] for i in range(len(texts))]).astype(np.float32, copy=False)

    def stats(self) -> dict[str, float]:
        asked = self.hits + self.misses
        return {"hits": self.hits, "misses": self.misses, "hit_rate": self.hits / asked if asked else 0.0}
