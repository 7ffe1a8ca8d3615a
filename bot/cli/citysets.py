"""Evaluation cities as the command line names them: a folder or ``NAME=FAQ.csv:QUERIES.csv[:…]`` (`parse_city`),
the six the project evaluates on (`evaluation_city_specs`), and a city's own embedding cache (`city_cache`)."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.settings import REPO_ROOT
from knowledge.crosscity import City, load_city
from knowledge.evaluation import read_queries
from knowledge.kb_io import read_kb_file

EVAL = REPO_ROOT / "tests" / "eval"
DATA = REPO_ROOT / "knowledge" / "data"


def parse_city(spec: str) -> tuple[City, Path | None]:
    """A city from a folder or a ``NAME=FAQ:QUERIES[:…]`` spec, and its synonyms file if it has one."""
    if "=" in spec:
        name, files = spec.split("=", 1)
        paths = [Path(p) for p in files.split(":") if p]
        if len(paths) < 2:
            raise typer.BadParameter(f"{spec!r}: NAME=FAQ.csv:QUERIES.csv を指定してください")
        synonyms = next((p for p in paths[1:] if p.name.endswith("synonyms.csv")), None)
        result = read_kb_file(paths[0])
        if result.errors:
            raise typer.BadParameter(f"{paths[0]}: " + "; ".join(str(e) for e in result.errors[:3]))
        queries = [q for p in paths[1:] if p != synonyms for q in read_queries(p)]
        return City(name, result.entries, queries), synonyms
    folder = Path(spec)
    if not (folder / "faq.csv").exists():
        raise typer.BadParameter(f"{spec!r}: faq.csv がありません (no faq.csv in that folder)")
    synonyms_file = folder / "synonyms.csv"
    try:
        city = load_city(folder)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return city, synonyms_file if synonyms_file.exists() else None


def evaluation_city_specs() -> list[str]:
    """The six evaluation cities: the demo city with its held-out questions, and every folder of tests/eval/cities."""
    demo = f"midorino={DATA / 'faq.csv'}:{EVAL / 'heldout.csv'}:{DATA / 'synonyms.csv'}"
    return [demo, *sorted(str(p) for p in (EVAL / "cities").iterdir() if (p / "faq.csv").is_file())]


def city_cache(cache_dir: Path | None, city: str) -> Path | None:
    """A city's own embedding cache under ``cache_dir`` (an index build keeps only its own FAQ's vectors, so
    cities that share one folder would embed each other's FAQ again on every pass)."""
    return cache_dir / "cities" / city if cache_dir else None
