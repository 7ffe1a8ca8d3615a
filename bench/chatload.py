"""Whole-stack chat turns over loopback HTTP: latency percentiles and throughput at N concurrent residents.

Closed loop: each simulated resident sends a question, waits for the answer, sends the next. Questions cycle
through the end-to-end paraphrase set (FAQ answers, choices and refusals, as residents really mix them).
"""

from __future__ import annotations

import asyncio
import csv
import time
import uuid

import httpx

from bench.stats import percentiles
from bot.settings import REPO_ROOT

# A resident's conversation: a few questions, then the next resident takes the slot. (One sender asking for the
# whole run would measure Rasa replaying an ever-longer tracker on every turn — see the closing note of issue 9.)
TURNS_PER_CONVERSATION = 6


def questions() -> list[str]:
    with open(REPO_ROOT / "tests" / "e2e" / "paraphrases.csv", encoding="utf-8") as f:
        return [row["query"] for row in csv.DictReader(f)]


async def _resident(
    client: httpx.AsyncClient,
    url: str,
    pool: list[str],
    offset: int,
    stop_at: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    i = offset
    while time.perf_counter() < stop_at:
        if (i - offset) % TURNS_PER_CONVERSATION == 0:  # this resident is done; the next one starts
            sender = f"bench-{uuid.uuid4().hex[:10]}"
        text = pool[i % len(pool)]
        i += 1
        started = time.perf_counter()
        try:
            response = await client.post(f"{url}/api/v1/chat", json={"sender_id": sender, "text": text})
            if response.status_code != 200:
                errors.append(str(response.status_code))
                continue
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)
            continue
        latencies.append(time.perf_counter() - started)


async def load(url: str, concurrency: int, duration_s: float, warmup_s: float = 2.0) -> dict:
    pool = questions()
    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        warm: list[float] = []
        await asyncio.gather(
            *[
                _resident(client, url, pool, i * 7, time.perf_counter() + warmup_s, warm, [])
                for i in range(concurrency)
            ]
        )
        latencies: list[float] = []
        errors: list[str] = []
        started = time.perf_counter()
        stop_at = started + duration_s
        await asyncio.gather(
            *[_resident(client, url, pool, i * 7, stop_at, latencies, errors) for i in range(concurrency)]
        )
        elapsed = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "duration_s": elapsed,
        "turns": len(latencies),
        "turns_per_s": len(latencies) / elapsed,
        "errors": len(errors),
        **percentiles(latencies),
    }


def run(url: str, levels: tuple[int, ...] = (1, 10, 50), duration_s: float = 20.0) -> list[dict]:
    return [asyncio.run(load(url, n, duration_s)) for n in levels]
