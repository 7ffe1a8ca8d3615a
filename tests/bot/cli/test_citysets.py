"""bot/cli/citysets.py: evaluation cities as the command line names them."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from bot.cli.citysets import city_cache, evaluation_city_specs, parse_city
from tests.bot.cli.test_eval_cities import _city


def test_a_folder_and_a_named_spec_give_the_same_city(tmp_path: Path) -> None:
    folder = _city(tmp_path / "alpha", "al")
    city, synonyms = parse_city(str(folder))
    assert city.name == "alpha" and synonyms == folder / "synonyms.csv" and len(city.entries) == 5
    spec = f"other={folder / 'faq.csv'}:{folder / 'queries.csv'}:{folder / 'synonyms.csv'}"
    named, named_synonyms = parse_city(spec)
    assert named.name == "other" and named_synonyms == folder / "synonyms.csv"
    assert [q.text for q in named.queries] == [q.text for q in city.queries]


def test_a_folder_without_an_faq_is_refused(tmp_path: Path) -> None:
    with pytest.raises(typer.BadParameter, match="faq.csv"):
        parse_city(str(tmp_path))
    with pytest.raises(typer.BadParameter):
        parse_city(f"x={tmp_path / 'faq.csv'}")  # no question file


def test_each_city_has_its_own_cache_and_the_evaluation_cities_are_six(tmp_path: Path) -> None:
    assert city_cache(tmp_path, "alpha") == tmp_path / "cities" / "alpha"
    assert city_cache(None, "alpha") is None
    specs = evaluation_city_specs()
    assert specs[0].startswith("midorino=") and len(specs) == 6
    assert all(parse_city(spec)[0].queries for spec in specs)
