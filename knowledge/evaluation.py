"""Retrieval-quality evaluation on a labelled query set: hybrid search vs the BM25-only baseline.

Query file (CSV, UTF-8/BOM): ``query,expected_id,style``; an empty ``expected_id`` marks an
out-of-scope query (the bot must not answer it). Per style and overall it reports top-1 accuracy, MRR,
recall@3, how often the bot answered correctly / answered *wrongly* (a confident wrong answer is the
worst outcome), asked the resident to choose, or said it does not know; for out-of-scope queries the
refusal rate (decision is not ``answer``). Latency p50/p95 are per search call.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.kb import FaqEntry
from knowledge.search import FaqSearcher, Hit, SearchOutcome

__all__ = [
    "EvalQuery",
    "EvalReport",
    "MethodReport",
    "StyleMetrics",
    "evaluate",
    "print_report",
    "read_queries",
]

OOS_STYLE = "out_of_scope"


@dataclass(frozen=True)
class EvalQuery:
    text: str
    expected_id: str  # "" = out of scope
    style: str = ""

    @property
    def in_scope(self) -> bool:
        return bool(self.expected_id)


@dataclass
class StyleMetrics:
    style: str
    count: int = 0
    top1: float = 0.0
    mrr: float = 0.0
    recall3: float = 0.0
    answered_correct: float = 0.0
    answered_wrong: float = 0.0
    choose: float = 0.0
    choose_contains: float = 0.0
    unknown: float = 0.0
    refusal: float = 0.0  # out-of-scope only


@dataclass
class MethodReport:
    method: str
    styles: list[StyleMetrics] = field(default_factory=list)
    overall: StyleMetrics = field(default_factory=lambda: StyleMetrics("in-scope"))
    out_of_scope: StyleMetrics = field(default_factory=lambda: StyleMetrics(OOS_STYLE))
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    failures: list[tuple[EvalQuery, str, list[str]]] = field(default_factory=list)


@dataclass
class EvalReport:
    hybrid: MethodReport
    bm25: MethodReport
    entries: int
    queries: int

    def method(self, name: str) -> MethodReport:
        return self.hybrid if name == "hybrid" else self.bm25


def read_queries(path: str | Path) -> list[EvalQuery]:
    """Read ``query,expected_id,style`` rows (UTF-8 with or without BOM)."""
    text = Path(path).read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    queries = []
    for row in reader:
        query = (row.get("query") or row.get("text") or "").strip()
        if not query:
            continue
        expected = (row.get("expected_id") or row.get("expected") or "").strip()
        style = (row.get("style") or "").strip() or ("" if expected else OOS_STYLE)
        queries.append(EvalQuery(query, expected, style if expected else (style or OOS_STYLE)))
    return queries


def _score(
    method: str, queries: Sequence[EvalQuery], run: Callable[[str], tuple[SearchOutcome, list[Hit]]]
) -> MethodReport:
    report = MethodReport(method)
    latencies: list[float] = []
    rows: list[tuple[EvalQuery, SearchOutcome, list[str]]] = []
    for query in queries:
        started = time.perf_counter()
        outcome, ranking = run(query.text)
        latencies.append((time.perf_counter() - started) * 1000.0)
        ids = [h.faq_id for h in ranking]
        rows.append((query, outcome, ids))
        correct_answer = (
            outcome.decision == "answer" and outcome.hits and outcome.hits[0].faq_id == query.expected_id
        )
        if query.in_scope and not correct_answer or not query.in_scope and outcome.decision == "answer":
            report.failures.append((query, outcome.decision, ids[:3]))
    if latencies:
        report.latency_p50_ms = float(np.percentile(latencies, 50))
        report.latency_p95_ms = float(np.percentile(latencies, 95))
    in_scope = [r for r in rows if r[0].in_scope]
    styles = sorted({r[0].style for r in in_scope})
    report.styles = [_metrics(s, [r for r in in_scope if r[0].style == s]) for s in styles]
    report.overall = _metrics("in-scope", in_scope)
    report.out_of_scope = _metrics(OOS_STYLE, [r for r in rows if not r[0].in_scope])
    return report


def _metrics(style: str, rows: list[tuple[EvalQuery, SearchOutcome, list[str]]]) -> StyleMetrics:
    metrics = StyleMetrics(style, count=len(rows))
    if not rows:
        return metrics
    n = float(len(rows))
    for query, outcome, ids in rows:
        decision = outcome.decision
        hit_ids = [h.faq_id for h in outcome.hits]
        metrics.choose += decision == "choose"
        metrics.unknown += decision == "unknown"
        metrics.refusal += decision != "answer"
        if not query.in_scope:
            continue
        rank = ids.index(query.expected_id) + 1 if query.expected_id in ids else 0
        metrics.top1 += rank == 1
        metrics.mrr += 1.0 / rank if rank else 0.0
        metrics.recall3 += 0 < rank <= 3
        if decision == "answer":
            if hit_ids and hit_ids[0] == query.expected_id:
                metrics.answered_correct += 1
            else:
                metrics.answered_wrong += 1
        metrics.choose_contains += decision == "choose" and query.expected_id in hit_ids
    for name in (
        "top1",
        "mrr",
        "recall3",
        "answered_correct",
        "answered_wrong",
        "choose",
        "choose_contains",
        "unknown",
        "refusal",
    ):
        setattr(metrics, name, getattr(metrics, name) / n)
    return metrics


def evaluate(searcher: FaqSearcher, entries: list[FaqEntry], queries: Sequence[EvalQuery]) -> EvalReport:
    """Evaluate ``searcher`` (rebuilt on ``entries`` unless it already indexes exactly them)."""
    known = {e.id for e in entries}
    unknown_ids = sorted({q.expected_id for q in queries if q.in_scope and q.expected_id not in known})
    if unknown_ids:
        raise ValueError(f"queries expect ids that are not in the KB: {', '.join(unknown_ids[:10])}")
    try:
        current = [e.id for e in searcher.entries]
    except RuntimeError:
        current = []
    if current != [e.id for e in entries]:
        searcher.rebuild(entries)
    searcher.search("ウォームアップ")  # load the model before timing

    def hybrid(text: str) -> tuple[SearchOutcome, list[Hit]]:
        outcome = searcher.search(text, k=3)
        return outcome, searcher.rank(text, k=10)

    def bm25(text: str) -> tuple[SearchOutcome, list[Hit]]:
        return searcher.search_bm25_only(text, k=3), searcher.rank_bm25(text, k=10)

    return EvalReport(
        _score("hybrid", queries, hybrid),
        _score("bm25", queries, bm25),
        entries=len(entries),
        queries=len(queries),
    )


def print_report(report: EvalReport, console: object | None = None, failures: int = 0) -> None:
    """Print the report as tables (rich); ``failures`` > 0 also lists that many hybrid failures."""
    from rich.console import Console
    from rich.table import Table

    out = console if isinstance(console, Console) else Console()
    table = Table(title=f"retrieval quality — {report.entries} FAQ entries, {report.queries} queries")
    for column in (
        "style",
        "n",
        "method",
        "top-1",
        "MRR",
        "R@3",
        "ans✓",
        "ans✗",
        "choose",
        "unknown",
        "refusal",
    ):
        table.add_column(column, justify="left" if column in ("style", "method") else "right")
    pairs = list(zip(report.hybrid.styles, report.bm25.styles, strict=True))
    pairs.append((report.hybrid.overall, report.bm25.overall))
    pairs.append((report.hybrid.out_of_scope, report.bm25.out_of_scope))
    for hybrid, bm25 in pairs:
        for method, m in (("hybrid", hybrid), ("bm25", bm25)):
            oos = m.style == OOS_STYLE
            table.add_row(
                m.style if method == "hybrid" else "",
                str(m.count),
                method,
                *(
                    ["–"] * 6
                    if oos
                    else [
                        f"{m.top1:.3f}",
                        f"{m.mrr:.3f}",
                        f"{m.recall3:.3f}",
                        f"{m.answered_correct:.3f}",
                        f"{m.answered_wrong:.3f}",
                        f"{m.choose:.3f}",
                    ]
                ),
                f"{m.unknown:.3f}",
                f"{m.refusal:.3f}" if oos else "–",
                end_section=method == "bm25",
            )
    out.print(table)
    for result in (report.hybrid, report.bm25):
        out.print(
            f"{result.method}: latency p50 {result.latency_p50_ms:.1f} ms, p95 {result.latency_p95_ms:.1f} ms"
        )
    for query, decision, ids in report.hybrid.failures[:failures]:
        out.print(
            f"  [{query.style}] {query.text!r} expected {query.expected_id or '(refuse)'} -> {decision} {ids}"
        )
