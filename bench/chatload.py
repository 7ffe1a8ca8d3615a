"""Chat turns over loopback HTTP: latency percentiles, throughput and CPU per turn at N concurrent residents.

Closed loop: each simulated resident sends a question, waits for the answer, sends the next. Questions come from
`QuestionPool`: every resident question of the evaluation sets (the demo city's and the other cities'), shuffled
once with a fixed seed and handed out without repeating within a run, so that no cache can flatter a figure
(a run that needs more questions than the pool holds counts the repeats and reports them).

The same load drives the whole stack (`POST /api/v1/chat`) and the bare-Rasa floor (Rasa's own REST channel),
through a `Target`.
"""

from __future__ import annotations

import asyncio
import csv
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import psutil

from bench.stats import machine_busy_s, own_cpu_s, percentiles, tree_cpu_s
from bot.settings import REPO_ROOT

# A resident's conversation: a few questions, then the next resident takes the slot. (One sender asking for the
# whole run would measure Rasa replaying an ever-longer tracker on every turn: that is `long_conversation`.)
TURNS_PER_CONVERSATION = 6

QUESTION_FILES = ("tests/e2e/paraphrases.csv", "tests/eval/queries.csv", "tests/eval/heldout.csv")


def questions() -> list[str]:
    """The end-to-end paraphrase set (FAQ answers, choices and refusals, as residents really mix them)."""
    with open(REPO_ROOT / "tests" / "e2e" / "paraphrases.csv", encoding="utf-8") as f:
        return [row["query"] for row in csv.DictReader(f)]


def all_questions() -> list[str]:
    """Every distinct resident question of the evaluation sets, in file order."""
    files = [REPO_ROOT / f for f in QUESTION_FILES]
    files += sorted((REPO_ROOT / "tests" / "eval" / "cities").glob("*/queries.csv"))
    seen: dict[str, None] = {}
    for path in files:
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                text = (row.get("query") or "").strip()
                if text:
                    seen.setdefault(text, None)
    return list(seen)


@dataclass
class QuestionPool:
    """Questions handed out once each per run (deterministic order); `repeats` counts any wrap-around."""

    seed: int = 19
    _items: list[str] = field(default_factory=list)
    _next: int = 0
    repeats: int = 0

    def __post_init__(self) -> None:
        self._items = all_questions()
        random.Random(self.seed).shuffle(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def take(self) -> str:
        if self._next >= len(self._items):
            self.repeats += 1
        text = self._items[self._next % len(self._items)]
        self._next += 1
        return text

    @property
    def used(self) -> int:
        return self._next


@dataclass(frozen=True)
class Target:
    """Where a turn goes: the URL and the JSON body for (sender, text)."""

    url: str
    body: Callable[[str, str], dict]


def stack_target(base_url: str) -> Target:
    return Target(f"{base_url}/api/v1/chat", lambda sender, text: {"sender_id": sender, "text": text})


def rasa_rest_target(base_url: str) -> Target:
    """Rasa's own REST channel (`rest:` in credentials.yml)."""
    return Target(
        f"{base_url}/webhooks/rest/webhook", lambda sender, text: {"sender": sender, "message": text}
    )


async def _resident(
    client: httpx.AsyncClient,
    target: Target,
    pool: QuestionPool,
    stop_at: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    turn = 0
    sender = ""
    while time.perf_counter() < stop_at:
        if turn % TURNS_PER_CONVERSATION == 0:  # this resident is done; the next one starts
            sender = f"bench-{uuid.uuid4().hex[:10]}"
        turn += 1
        body = target.body(sender, pool.take())
        started = time.perf_counter()
        try:
            response = await client.post(target.url, json=body)
            if response.status_code != 200:
                errors.append(str(response.status_code))
                continue
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)
            continue
        latencies.append(time.perf_counter() - started)


async def load(
    target: Target,
    concurrency: int,
    duration_s: float,
    pool: QuestionPool,
    cpu_pids: tuple[int, ...] = (),
    warmup_s: float = 2.0,
) -> dict:
    """`concurrency` residents for `duration_s`; with `cpu_pids`, the CPU seconds each process under them used
    during the measured window (from /proc), in total and per turn."""
    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        stop_warm = time.perf_counter() + warmup_s
        await asyncio.gather(
            *[_resident(client, target, pool, stop_warm, [], []) for _ in range(concurrency)]
        )
        cpu_before = cpu_reading(cpu_pids)
        machine_before, own_before = machine_busy_s(), own_cpu_s()
        latencies: list[float] = []
        errors: list[str] = []
        started = time.perf_counter()
        stop_at = started + duration_s
        await asyncio.gather(
            *[_resident(client, target, pool, stop_at, latencies, errors) for _ in range(concurrency)]
        )
        elapsed = time.perf_counter() - started
        cpu_after = cpu_reading(cpu_pids)
        machine_used, own_used = machine_busy_s() - machine_before, own_cpu_s() - own_before
    out = {
        "concurrency": concurrency,
        "duration_s": elapsed,
        "turns": len(latencies),
        "turns_per_s": len(latencies) / elapsed,
        "errors": len(errors),
        **percentiles(latencies),
    }
    if cpu_pids:
        out.update(cpu_per_turn(cpu_before, cpu_after, len(latencies)))
        out["machine"] = machine_share(machine_used, own_used, out["cpu_s"], elapsed, len(latencies))
    return out


def machine_share(
    machine_s: float, generator_s: float, measured: dict[str, float], elapsed_s: float, turns: int
) -> dict:
    """Where every core's busy time went during a load, per turn (ms): the measured processes, the load
    generator (this process), and everything else (the database and Redis servers, the kernel, other programs);
    `cores_busy` is how many of the machine's cores were busy on average."""
    n = max(turns, 1)
    outside = max(0.0, machine_s - sum(measured.values()) - generator_s)
    return {
        "cores_busy": machine_s / max(elapsed_s, 1e-9),
        "cores": psutil.cpu_count() or 1,
        "busy_ms_per_turn": 1000.0 * machine_s / n,
        "load_generator_ms_per_turn": 1000.0 * generator_s / n,
        "outside_ms_per_turn": 1000.0 * outside / n,
    }


def cpu_reading(pids: tuple[int, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for pid in pids:
        out.update(tree_cpu_s(pid))
    return out


def cpu_per_turn(before: dict[str, float], after: dict[str, float], turns: int) -> dict:
    """CPU seconds used between two readings, per process and per turn (ms), and the total per turn."""
    used = {k: max(0.0, v - before.get(k, 0.0)) for k, v in after.items()}
    per_turn = {k: 1000.0 * v / max(turns, 1) for k, v in used.items()}
    return {
        "cpu_s": used,
        "cpu_ms_per_turn": per_turn,
        "cpu_ms_per_turn_total": sum(per_turn.values()),
    }
