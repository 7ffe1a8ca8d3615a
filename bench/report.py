"""Targets, the printed table and the machine description for the benchmark results."""

from __future__ import annotations

import os
import platform

import psutil
from rich.console import Console
from rich.table import Table

TARGETS = {
    "chat_p95_ms_at_10": ("≤", 150.0),
    "chat_turns_per_s": ("≥", 40.0),
    "total_rss_mb": ("≤", 2560.0),
    "search_p95_ms_at_10000": ("≤", 80.0),
    "webhook_ack_p99_ms": ("≤", 50.0),
    # the floor measured in the same run (bench/floor.py): Rasa alone, in-memory tracker, do-nothing actions
    "turn_cpu_vs_bare_rasa": ("≤", 1.4),  # whole stack's CPU per turn ÷ bare Rasa's, 1 resident
    "throughput_at_10_vs_bare_rasa": ("≥", 1.3),  # production layout's turns/s ÷ bare Rasa's, 10 residents
    "long_conversation_ratio": ("≤", 1.2),  # median of turns 351–400 of one conversation ÷ turns 1–50
}


def _at(levels: list[dict], concurrency: int) -> dict | None:
    return next((c for c in levels if c["concurrency"] == concurrency), None)


def floor_ratio(results: dict, key: str) -> float | None:
    bare = results.get("bare_rasa") or []
    if key == "turn_cpu_vs_bare_rasa":
        stack, rasa = _at(results.get("chat", []), 1), _at(bare, 1)
        if not stack or not rasa or "cpu_ms_per_turn" not in rasa:
            return None
        return stack["cpu_ms_per_turn_total"] / max(rasa["cpu_ms_per_turn"].get("rasa", 0.0), 1e-9)
    production = _at((results.get("production") or {}).get("chat", []), 10)
    rasa = _at(bare, 10)
    if not production or not rasa:
        return None
    return production["turns_per_s"] / max(rasa["turns_per_s"], 1e-9)


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _value(results: dict, key: str) -> float | None:
    if key == "chat_p95_ms_at_10":
        return next((c["p95_ms"] for c in results.get("chat", []) if c["concurrency"] == 10), None)
    if key == "chat_turns_per_s":
        return max((c["turns_per_s"] for c in results.get("chat", [])), default=None)
    if key == "total_rss_mb":
        loads = [*results.get("rss_under_load_mb", {}).values(), results.get("rss_after_burst_mb") or {}]
        return max((sum(v.values()) for v in loads if v), default=None)
    if key == "search_p95_ms_at_10000":
        sizes = {s["entries"]: s for s in results.get("search", [])}
        return sizes[10000]["hybrid"]["p95_ms"] if 10000 in sizes else None
    if key == "webhook_ack_p99_ms":
        return (results.get("webhook") or {}).get("ack", {}).get("p99_ms")
    if key in ("turn_cpu_vs_bare_rasa", "throughput_at_10_vs_bare_rasa"):
        return floor_ratio(results, key)
    if key == "long_conversation_ratio":
        return (results.get("long_conversation") or {}).get("ratio")
    raise KeyError(key)


def targets(results: dict) -> dict:
    out = {}
    for key, (op, target) in TARGETS.items():
        value = _value(results, key)
        met = None if value is None else (value <= target if op == "≤" else value >= target)
        out[key] = {"value": value, "target": f"{op} {target:g}", "met": met}
    return out


def print_table(results: dict) -> None:
    console = Console(width=120)
    table = Table(title="madoguchi benchmarks (this machine, this run)")
    for col in ("what", "p50 ms", "p95 ms", "p99 ms", "other"):
        table.add_column(col)
    for s in results.get("search", []):
        h, b, n = s["hybrid"], s["bm25_only"], s["brute_numpy_dense"]
        table.add_row(
            f"search hybrid @ {s['entries']:,}",
            f"{h['p50_ms']:.1f}",
            f"{h['p95_ms']:.1f}",
            f"{h['p99_ms']:.1f}",
            f"×{h['p50_ms'] / max(b['p50_ms'], 1e-6):.1f} BM25-only, "
            f"×{h['p50_ms'] / max(n['p50_ms'], 1e-6):.1f} brute numpy; rebuild {s['rebuild_s']:.1f} s; "
            f"+{s['rss_growth_mb']:.0f} MB",
        )
        if "shipped" in s:
            w = s["shipped"]
            table.add_row(
                f"search shipped @ {s['entries']:,}",
                f"{w['p50_ms']:.1f}",
                f"{w['p95_ms']:.1f}",
                f"{w['p99_ms']:.1f}",
                f"×{w['p50_ms'] / max(h['p50_ms'], 1e-6):.1f} hybrid; rebuild {s['shipped_rebuild_s']:.1f} s",
            )
    chat_rows = [("bare Rasa", c) for c in results.get("bare_rasa", [])]
    chat_rows += [("chat turn", c) for c in results.get("chat", [])]
    chat_rows += [("production layout", c) for c in (results.get("production") or {}).get("chat", [])]
    for label, c in chat_rows:
        table.add_row(
            f"{label} @ {c['concurrency']} residents",
            f"{c['p50_ms']:.0f}",
            f"{c['p95_ms']:.0f}",
            f"{c['p99_ms']:.0f}",
            f"{c['turns_per_s']:.1f} turns/s, {c['errors']} errors" + cpu_line(c),
        )
    pool = results.get("question_pool")
    if pool:
        table.add_row(
            f"chat questions ({pool['questions']} distinct)",
            "",
            "",
            "",
            f"whole stack asked {pool['asked']}, repeated {pool['repeats']}; production layout asked "
            f"{pool.get('production_asked', 0)}, repeated {pool.get('production_repeats', 0)}",
        )
    if results.get("long_conversation"):
        lc = results["long_conversation"]
        table.add_row(
            f"one conversation, {lc['turns']} turns",
            "",
            "",
            "",
            "median per 50 turns: " + " / ".join(f"{m:.0f}" for m in lc["by_fifty_ms"]) + " ms",
        )
    for key, label in (("webhook", "idle stack"), ("webhook_while_answering", "while answering 500 more")):
        _webhook_row(table, results.get(key) or {}, label)
    if "index_rebuild" in results:
        r = results["index_rebuild"]
        table.add_row(
            f"index rebuild ({r['entries']} entries)",
            "",
            "",
            "",
            f"cold {r['cold_s']:.1f} s, warm {r['warm_s']:.2f} s",
        )
    if "rasa_training" in results:
        table.add_row("Rasa training", "", "", "", f"{results['rasa_training']['train_s']:.0f} s")
    if "stack_startup_s" in results:
        table.add_row(
            "stack start-up (launcher → healthy)", "", "", "", f"{results['stack_startup_s']:.0f} s"
        )
    memory = [("RSS idle", results.get("rss_idle_mb"))]
    memory += [(f"RSS under load @ {k}", v) for k, v in results.get("rss_under_load_mb", {}).items()]
    memory.append(("RSS after webhook burst", results.get("rss_after_burst_mb")))
    for label, procs in memory:
        if procs:
            table.add_row(label, "", "", "", rss_line(procs))
    console.print(table)
    t = Table(title="targets")
    for col in ("target", "value", "wanted", "met"):
        t.add_column(col)
    for key, row in results.get("targets", {}).items():
        value = "n/a" if row["value"] is None else f"{row['value']:.2f}"
        met = {True: "[green]met[/]", False: "[red]NOT met[/]", None: "not measured"}[row["met"]]
        t.add_row(key, value, row["target"], met)
    console.print(t)


def _webhook_row(table: Table, web: dict, label: str) -> None:
    if web.get("ack"):
        a, p = web["ack"], web.get("processing", {})
        table.add_row(
            f"LINE webhook ack ({web.get('events')} events, {label})",
            f"{a['p50_ms']:.1f}",
            f"{a['p95_ms']:.1f}",
            f"{a['p99_ms']:.1f}",
            f"answered p50 {p.get('p50_ms', float('nan')):.0f} ms, p99 {p.get('p99_ms', float('nan')):.0f} ms; "
            f"delivered {web.get('delivered')}, lost {web.get('lost')}, duplicates {web.get('duplicates')}",
        )


def cpu_line(c: dict) -> str:
    """`; CPU 61 ms/turn: rasa 40, actions 12, gateway 8` (processes that used under 0.05 ms left out)."""
    if "cpu_ms_per_turn" not in c:
        return ""
    parts = [
        f"{k} {v:.1f}" for k, v in sorted(c["cpu_ms_per_turn"].items(), key=lambda kv: -kv[1]) if v >= 0.05
    ]
    line = f"; CPU {c['cpu_ms_per_turn_total']:.1f} ms/turn: " + ", ".join(parts)
    machine = c.get("machine")
    if machine:
        line += (
            f"; machine {machine['cores_busy']:.2f} of {machine['cores']} cores busy,"
            f" {machine['busy_ms_per_turn']:.1f} ms/turn (load generator {machine['load_generator_ms_per_turn']:.1f},"
            f" outside the stack {machine['outside_ms_per_turn']:.1f})"
        )
    caches = c.get("query_cache") or {}
    if caches:
        line += "; query cache hits " + ", ".join(f"{k[:6]} {v['hit_rate']:.0%}" for k, v in caches.items())
    return line


def rss_line(procs: dict[str, float]) -> str:
    """`gateway 150, actions 400, rasa 1200 = 1750 MB` (every process of the stack, and the total)."""
    return ", ".join(f"{k} {v:.0f}" for k, v in procs.items()) + f" = {sum(procs.values()):.0f} MB"
