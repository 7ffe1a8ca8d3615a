"""The floor a chat turn cannot go below: the same trained Rasa model served by `rasa run` with Rasa's in-memory
tracker store and lock store, its own REST channel, and a do-nothing action server (`bench.nullactions`), asked
the same kind of questions as the whole stack. `make bench` measures it in the same run as the stack, so the
ratios in `results.json` compare like with like on one machine at one moment."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.chatload import QuestionPool, Target, load, rasa_rest_target
from bot.run import training
from bot.run.devstack import free_port_block
from bot.run.launcher import http_ok
from bot.settings import REPO_ROOT


@dataclass
class BareRasa:
    url: str
    pids: tuple[int, ...]  # Rasa and the do-nothing action server: CPU is read from both

    @property
    def target(self) -> Target:
        return rasa_rest_target(self.url)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def bare_rasa(
    work_dir: Path, model: Path | None = None, timeout_s: float = 300, env: dict[str, str] | None = None
) -> Iterator[BareRasa]:
    """Start the do-nothing action server and `rasa run` on free loopback ports; stop both on exit. `env` adds
    to Rasa's environment (the stack's own Rasa settings, for the second floor)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    model = model or training.model_path(REPO_ROOT / "models")
    taken: set[int] = set()
    actions_port, rasa_port = free_port_block(taken=taken), free_port_block(taken=taken)
    endpoints = work_dir / "endpoints.yml"  # no tracker_store / lock_store: Rasa's in-memory ones
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{actions_port}/webhook\n")
    credentials = work_dir / "credentials.yml"
    credentials.write_text("rest:\n")
    log = open(work_dir / "bare-rasa.log", "wb")  # noqa: SIM115 - closed below
    actions = subprocess.Popen(
        [sys.executable, "-m", "bench.nullactions", "--port", str(actions_port)], cwd=REPO_ROOT
    )
    cmd = [str(training.rasa_bin()), "run", "--model", str(model), "--interface", "127.0.0.1"]
    cmd += ["--port", str(rasa_port), "--credentials", str(credentials), "--endpoints", str(endpoints)]
    rasa = subprocess.Popen(
        cmd, cwd=REPO_ROOT, env={**training.rasa_env(), **(env or {})}, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{rasa_port}"
    try:
        deadline = time.monotonic() + timeout_s
        while not http_ok(f"{url}/"):
            if rasa.poll() is not None or time.monotonic() > deadline:
                tail = (work_dir / "bare-rasa.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"bare Rasa did not start:\n{tail}")
            time.sleep(0.5)
        yield BareRasa(url, (rasa.pid, actions.pid))
    finally:
        _stop(rasa)
        _stop(actions)
        log.close()


def measure(
    work_dir: Path,
    levels: tuple[int, ...],
    duration_s: float,
    pool: QuestionPool,
    env: dict[str, str] | None = None,
) -> list[dict]:
    """Bare Rasa at each concurrency level: latency, turns/s and CPU per turn of Rasa (and of the do-nothing
    action server, reported apart: it is the bench's, not Rasa's)."""
    out = []
    with bare_rasa(work_dir, env=env) as rasa:
        for level in levels:
            print(f"   bare Rasa: {level} concurrent residents for {duration_s:.0f} s", flush=True)
            out.append(asyncio.run(load(rasa.target, level, duration_s, pool, cpu_pids=rasa.pids)))
    return out


def long_conversation(target: Target, pool: QuestionPool, turns: int = 400) -> dict:
    """One resident asking `turns` questions in a row (no pause): each turn's latency, and the median of the
    last 50 over the median of the first 50."""
    sender = f"bench-long-{uuid.uuid4().hex[:8]}"
    latencies: list[float] = []
    errors = 0
    with httpx.Client(timeout=60) as client:
        for _ in range(turns):
            started = time.perf_counter()
            response = client.post(target.url, json=target.body(sender, pool.take()))
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200
    first, last = latencies[:50], latencies[-50:]
    return {
        "turns": turns,
        "errors": errors,
        "first50_median_ms": statistics.median(first) * 1000,
        "last50_median_ms": statistics.median(last) * 1000,
        "ratio": statistics.median(last) / statistics.median(first),
        "by_fifty_ms": [
            round(statistics.median(latencies[i : i + 50]) * 1000, 1) for i in range(0, turns, 50)
        ],
    }
