"""Percentiles and the process-memory reading every benchmark uses."""

from __future__ import annotations

import os

import numpy as np
import psutil


def percentiles(samples_s: list[float]) -> dict[str, float]:
    """p50/p95/p99 and mean in milliseconds."""
    if not samples_s:
        return {
            "p50_ms": float("nan"),
            "p95_ms": float("nan"),
            "p99_ms": float("nan"),
            "mean_ms": float("nan"),
            "n": 0,
        }
    ms = np.asarray(samples_s) * 1000.0
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
        "n": int(ms.size),
    }


def rss_mb(pid: int | None = None) -> float:
    return psutil.Process(pid or os.getpid()).memory_info().rss / 2**20


ROLES = (  # (what the command line contains, the name shown); first match wins
    ("bot.line.process", "line-worker"),
    ("bench.nullactions", "null-actions"),
    ("rasa run", "rasa"),
    ("/rasa ", "rasa"),
    ("actions.server", "actions"),
    ("uvicorn", "gateway"),
    ("multiprocessing", "gateway"),
    ("bot.cli", "launcher"),
)


def _role(cmd: str, fallback: str) -> str:
    return next((name for part, name in ROLES if part in cmd), fallback)


def _tree(pid: int) -> list[tuple[str, psutil.Process]]:
    """Every process under `pid` (itself included) with a readable, unique name (`rasa`, `rasa#2`, …)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
    out: list[tuple[str, psutil.Process]] = []
    names: set[str] = set()
    for proc in procs:
        try:
            name = _role(" ".join(proc.cmdline()), proc.name())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        key, i = name, 2
        while key in names:
            key, i = f"{name}#{i}", i + 1
        names.add(key)
        out.append((key, proc))
    return out


def tree_rss_mb(pid: int) -> dict[str, float]:
    """RSS of every process under `pid`, by a readable name (children of the launcher)."""
    out: dict[str, float] = {}
    for key, proc in _tree(pid):
        try:
            out[key] = proc.memory_info().rss / 2**20
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


def tree_cpu_s(pid: int) -> dict[str, float]:
    """CPU seconds (user + system, from /proc/<pid>/stat) each process under `pid` has used so far, by name.
    Threads are included; a process that ended between two readings drops out of the later one."""
    out: dict[str, float] = {}
    for key, proc in _tree(pid):
        try:
            t = proc.cpu_times()
            out[key] = t.user + t.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


def machine_busy_s() -> float:
    """CPU seconds every core of the machine has been busy so far (all processes and the kernel; not idle or
    waiting on disk), from /proc/stat."""
    t = psutil.cpu_times()
    return float(
        sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)
    )


def own_cpu_s() -> float:
    """CPU seconds this process (the load generator) has used so far."""
    t = psutil.Process().cpu_times()
    return t.user + t.system
