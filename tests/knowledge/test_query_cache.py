"""QueryCache: each text embedded once while remembered, the oldest forgotten first."""

from __future__ import annotations

import numpy as np


def test_query_cache_embeds_a_text_once_and_forgets_the_oldest() -> None:
    from knowledge.embedders import HashingEmbedder
    from knowledge.query_cache import QueryCache

    class Counting(HashingEmbedder):
        def __init__(self) -> None:
            super().__init__()
            self.embedded: list[str] = []

        def embed_queries(self, texts: list[str]) -> np.ndarray:
            self.embedded += texts
            return super().embed_queries(texts)

    inner = Counting()
    cache = QueryCache(inner, size=2)
    first = cache.embed_queries(["住民票", "ごみの日"])
    again = cache.embed_queries(["ごみの日", "住民票"])
    assert inner.embedded == ["住民票", "ごみの日"]  # the second call embedded nothing
    assert np.allclose(again, first[::-1]) and again.dtype == np.float32
    assert np.allclose(first, inner.embed_queries(["住民票", "ごみの日"]))  # the same vectors as without it
    cache.embed_queries(["児童手当"])  # a third text: the least recently used one (ごみの日) goes
    inner.embedded.clear()
    cache.embed_queries(["ごみの日", "住民票"])
    assert inner.embedded == ["ごみの日"]
    assert cache.stats()["hits"] == 3 and cache.stats()["misses"] == 4
    assert cache.name == inner.name and cache.dim == inner.dim
    assert cache.embed_queries([]).shape == (0, inner.dim)
    first[0][:] = 0  # a caller that changes its copy does not change the cache
    assert np.linalg.norm(cache.embed_queries(["住民票"])) > 0.5
