"""End to end: every evaluation city asked through the launcher-started stack's chat API (`madoguchi eval-chat`),
beside the FAQ engine on the same KB, on answered-right and right-answered-or-offered.

Issue 14 asks for the chat API within 2 points of the engine on every city. Measured 2026-12-07 (session 14,
clean-clone CI run): answered-right within 0.0–0.6 points on every city, answered-or-offered within 0.0–1.9 (all
six cities within 2; session 13: 1.2 and 2.5). A topic action that answers its own way (area question, duty
roster, sorting dictionary, department, counter) offers the FAQ's close entries first when the search is torn, and
a sorting-dictionary item that a sure FAQ entry names (in its question or its answer) gets that entry first. What
it still loses are messages that start a report form (「どうろに あなが あいてる」) where the engine offered the
FAQ's close entries. The bars below guard against it getting worse.

The stack is this module's own (the run replaces its FAQ city by city, and one address sends every question,
so the chat rate limit is lifted). The command runs as a subprocess with the stack's environment, as staff
would run it; its JSON report says, for a city over the bar, which questions differ and which intent took them.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from bot.run.devstack import MADOGUCHI, StackError, StackProcess, start_stack
from bot.settings import REPO_ROOT
from channels.line.fake import FakeLine
from knowledge.chateval import GATED
from tests.e2e.stack_support import ACCESS_TOKEN, CHANNEL_SECRET, CLOCK

# one stack start, then six cities: an FAQ index rebuild and ~400 questions each (about 1–4 min a city)
pytestmark = [pytest.mark.stack, pytest.mark.slow, pytest.mark.timeout(3600)]

TARGET_GAP = 0.02  # issue 14 (met on every city in session 14's run)
MAX_GAP = {"answered_right": 0.03, "buttons_contain": 0.04}  # regression guard, measured ≤ 0.006 / 0.019
LAST_REPORT = REPO_ROOT / "var" / "eval-chat" / "report.json"
CITY_DIRS = sorted(p for p in (REPO_ROOT / "tests" / "eval" / "cities").iterdir() if (p / "faq.csv").exists())
DEMO = "demo=" + ":".join(str(REPO_ROOT / p) for p in ("knowledge/data/faq.csv", "tests/eval/heldout.csv"))
CITIES = {p.name: str(p) for p in CITY_DIRS} | {"demo": DEMO}


@pytest.fixture(scope="module")
def line_api() -> Iterator[FakeLine]:
    with FakeLine(access_token=ACCESS_TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
def eval_stack(tmp_path_factory: pytest.TempPathFactory, line_api: FakeLine) -> Iterator[StackProcess]:
    try:
        running = start_stack(
            tmp_path_factory.mktemp("chateval") / "var",
            LINE_CHANNEL_SECRET=CHANNEL_SECRET,
            LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
            LINE_API_BASE_URL=line_api.base_url,
            LINE_DATA_API_BASE_URL=line_api.base_url,
            MADOGUCHI_CLOCK=CLOCK,
            MADOGUCHI_CHAT_RATE_PER_MINUTE="1000000",
        )
    except StackError as exc:
        pytest.fail(str(exc))
    yield running
    assert running.stop() == 0, running.log_tail(2000)


@pytest.fixture(scope="module")
def measured(eval_stack: StackProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """`madoguchi eval-chat` over every city, once; its JSON report by city."""
    out = tmp_path_factory.mktemp("chateval-report") / "report.json"
    cities = [arg for spec in CITIES.values() for arg in ("--city", spec)]
    run = subprocess.run(
        [
            *MADOGUCHI,
            "eval-chat",
            "--url",
            eval_stack.url,
            *cities,
            "--max-gap",
            str(TARGET_GAP),  # the command exits 1 above the target; the tests below apply the guard
            "--json",
            str(out),
        ],
        cwd=REPO_ROOT,
        env=eval_stack.env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    print(run.stdout)  # the per-city tables, in the test log
    LAST_REPORT.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        LAST_REPORT.write_text(out.read_text())  # kept after pytest prunes its temporary folders
    assert run.returncode in (0, 1) and out.exists(), f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return {c["city"]: c for c in json.loads(out.read_text())["cities"]}


def explain(city: dict[str, Any], limit: int = 25) -> str:
    lines = [
        f"{city['city']}: chat − engine {city['gaps']}; intents of the differing questions: {city['via']}"
    ]
    for d in city["differing"][:limit]:
        chat, eng = d["chat"], d["engine"]
        lines.append(
            f"  {d['query']} (expected {d['expected_id']}): chat {chat['decision']}{chat['ids']} via "
            f"{chat['intent'] or '-'} | engine {eng['decision']}{eng['ids']}"
        )
    return "\n".join(lines)


@pytest.mark.parametrize("name", sorted(CITIES))
def test_chat_api_stays_near_the_engine(measured: dict[str, dict[str, Any]], name: str) -> None:
    city = measured[name]
    assert city["chat"]["in_scope"] == city["engine"]["in_scope"] > 0
    for figure in GATED:
        assert abs(city["gaps"][figure]) <= MAX_GAP[figure] + 1e-9, explain(city)
    # the chat path never answers more wrongly than the engine
    assert city["chat"]["answered_wrong"] <= city["engine"]["answered_wrong"] + 0.005, explain(city)
