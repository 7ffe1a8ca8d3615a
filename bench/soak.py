"""`make soak` (`python -m bench.soak [--minutes 20]`): the whole stack under a steady mix of chat turns, LINE
webhooks and reports for a long while, to catch what short benchmarks miss: memory that keeps growing, errors
that appear only after a while, LINE answers lost or sent twice.

Every `--sample-s` (30 s) it records each process's RSS. It fails (exit 1) when the total RSS grew more than
`--max-rss-growth-mb` after the warm-up, when any error rate is above `--max-error-rate`, or when a LINE event was
lost or answered twice, or a report that got its case number cannot be found. Writes var/bench/soak.json.
Durations: 20 minutes by default (about 25 with start-up); `--minutes 2` proves the harness works.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select

from bench.chatload import TURNS_PER_CONVERSATION, questions
from bench.report import rss_line
from bench.stats import percentiles, tree_rss_mb
from bench.webhook import TOKEN, event_of, line_env, sign, text_event
from bot.run.devstack import StackProcess, start_stack
from bot.settings import REPO_ROOT, load_settings
from bot.storage.db import make_engine, session_factory
from bot.storage.reports import Report
from channels.line.fake import FakeLine

OUT = REPO_ROOT / "var" / "bench"
OPEN311_KEY = "soak-open311-key"


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)

    def fail(self, kind: str) -> None:
        self.errors += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def summary(self) -> dict:
        total = self.ok + self.errors
        return {
            "requests": total,
            "errors": self.errors,
            "error_rate": self.errors / total if total else 0.0,
            "error_kinds": self.kinds,
            **percentiles(self.latencies),
        }


@dataclass
class Soak:
    url: str
    stop_at: float
    chat: Tally = field(default_factory=Tally)
    webhook: Tally = field(default_factory=Tally)
    reports: Tally = field(default_factory=Tally)
    acked_events: dict[str, str] = field(default_factory=dict)  # event id -> reply token
    case_numbers: list[str] = field(default_factory=list)

    async def _timed(self, tally: Tally, request: Awaitable[httpx.Response]) -> httpx.Response | None:
        started = time.perf_counter()  # the request starts when awaited
        try:
            response = await request
        except httpx.HTTPError as exc:
            tally.fail(type(exc).__name__)
            return None
        if response.status_code >= 300:
            tally.fail(str(response.status_code))
            return None
        tally.ok += 1
        tally.latencies.append(time.perf_counter() - started)
        return response

    async def resident(self, client: httpx.AsyncClient, n: int, pause_s: float) -> None:
        """One chat slot: a resident asks `TURNS_PER_CONVERSATION` questions, then the next one takes the slot.

        Residents' conversations are short; one conversation kept going for the whole run measures something
        else: each Rasa turn replays the session so far, so turn 400 of one session took 557 ms against 108 ms
        for turns 1-50 (2026-12-06), and the soak's chat latency then grew with the run's length."""
        pool, start = questions(), n * 11
        i, sender = start, ""
        while time.monotonic() < self.stop_at:
            if (i - start) % TURNS_PER_CONVERSATION == 0:
                sender = f"soak-{n}-{uuid.uuid4().hex[:8]}"
            text = pool[i % len(pool)]
            i += 1
            await self._timed(
                self.chat,
                client.post(f"{self.url}/api/v1/chat", json={"sender_id": sender, "text": text}),
            )
            await asyncio.sleep(pause_s)

    async def line(self, client: httpx.AsyncClient, every_s: float, users: int = 50) -> None:
        pool, i = questions(), 0
        while time.monotonic() < self.stop_at:
            event = text_event(pool[i % len(pool)], i % users)
            i += 1
            body = json.dumps({"destination": "Usoak", "events": [event]}, ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body)}
            response = await self._timed(
                self.webhook, client.post(f"{self.url}/line/webhook", content=body, headers=headers)
            )
            if response is not None:
                self.acked_events[event["webhookEventId"]] = event["replyToken"]
            await asyncio.sleep(every_s)

    async def report(self, client: httpx.AsyncClient, every_s: float) -> None:
        i = 0
        while time.monotonic() < self.stop_at:
            i += 1
            form = {
                "api_key": OPEN311_KEY,
                "service_code": "road_damage",
                "lat": f"{35.0 + (i % 50) / 1000:.4f}",
                "long": f"{139.0 + (i % 70) / 1000:.4f}",
                "description": f"ソーク試験の通報 {i}",
            }
            response = await self._timed(
                self.reports, client.post(f"{self.url}/open311/v2/requests.json", data=form)
            )
            if response is not None:
                self.case_numbers.append(response.json()[0]["service_request_id"])
            await asyncio.sleep(every_s)


async def sampler(pid: int, stop_at: float, every_s: float, samples: list[dict], started: float) -> None:
    while True:
        procs = tree_rss_mb(pid)
        samples.append(
            {"t_s": round(time.monotonic() - started, 1), "rss_mb": procs, "total_mb": sum(procs.values())}
        )
        print(f"   {samples[-1]['t_s']:>6.0f} s  {rss_line(procs)}", flush=True)
        if time.monotonic() >= stop_at:
            return
        await asyncio.sleep(min(every_s, max(0.0, stop_at - time.monotonic())))


async def drive(
    url: str, pid: int, minutes: float, sample_s: float, residents: int
) -> tuple[Soak, list[dict]]:
    started = time.monotonic()
    soak = Soak(url=url, stop_at=started + minutes * 60)
    samples: list[dict] = []
    limits = httpx.Limits(max_connections=residents + 10, max_keepalive_connections=residents + 10)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(
            sampler(pid, soak.stop_at, sample_s, samples, started),
            *(soak.resident(client, n, pause_s=0.5) for n in range(residents)),
            soak.line(client, every_s=0.5),
            soak.report(client, every_s=5.0),
        )
    return soak, samples


def check_reports(stack: StackProcess, case_numbers: list[str]) -> int:
    """How many reports that got a case number are not in the stack's database (Open311 shows only the cases
    staff published, so it cannot tell)."""
    settings = load_settings(
        data_dir=stack.data_dir, database_url=stack.env.get("MADOGUCHI_DATABASE_URL", ""), _env_file=None
    )
    engine = make_engine(settings.db_url)
    try:
        with session_factory(engine)() as session:
            stored = set(
                session.scalars(select(Report.case_number).where(Report.case_number.in_(case_numbers)))
            )
    finally:
        engine.dispose()
    return len(set(case_numbers) - stored)


def main() -> int:
    parser = argparse.ArgumentParser(description="madoguchi soak run (docs/operations.md)")
    parser.add_argument("--minutes", type=float, default=20.0, help="how long to apply load (default 20)")
    parser.add_argument("--sample-s", type=float, default=30.0, help="RSS sampling interval (default 30 s)")
    parser.add_argument("--residents", type=int, default=5, help="concurrent chat residents (default 5)")
    parser.add_argument(
        "--max-rss-growth-mb", type=float, default=250.0, help="allowed total RSS growth after warm-up"
    )
    parser.add_argument("--max-error-rate", type=float, default=0.01, help="allowed error rate per kind")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    data_dir = OUT / "soak-stack"
    shutil.rmtree(data_dir, ignore_errors=True)
    fake = FakeLine(TOKEN).start()
    print(
        f"== soak: {args.minutes:g} min of chat + LINE webhooks + reports (starting the stack…)", flush=True
    )
    stack = start_stack(
        data_dir,
        MADOGUCHI_CHAT_RATE_PER_MINUTE="1000000",
        MADOGUCHI_OPEN311_API_KEY=OPEN311_KEY,
        **line_env(fake),
    )
    try:
        soak, samples = asyncio.run(
            drive(stack.url, stack.proc.pid, args.minutes, args.sample_s, args.residents)
        )
        print("   load stopped; waiting for the LINE inbox to drain", flush=True)
        by_token = {token: event_id for event_id, token in soak.acked_events.items()}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            answered = {event_of(d.key, by_token) for d in fake.snapshot()}
            if set(soak.acked_events) <= answered:
                break
            time.sleep(1)
        time.sleep(2)
        counts: dict[str, int] = {}
        for d in fake.snapshot():
            event_id = event_of(d.key, by_token)
            if event_id in soak.acked_events:
                counts[event_id] = counts.get(event_id, 0) + 1
        missing_reports = check_reports(stack, soak.case_numbers)
        final_rss = tree_rss_mb(stack.proc.pid)
    finally:
        stack.stop()
        fake.close()
    warmup_s = min(120.0, args.minutes * 60 / 4)
    after = [s for s in samples if s["t_s"] >= warmup_s] or samples[-1:]
    baseline = after[0]["total_mb"]
    growth = max(s["total_mb"] for s in after) - baseline
    result = {
        "minutes": args.minutes,
        "bounds": {"max_rss_growth_mb": args.max_rss_growth_mb, "max_error_rate": args.max_error_rate},
        "chat": soak.chat.summary(),
        "webhook": soak.webhook.summary(),
        "reports": soak.reports.summary(),
        "line": {
            "acked": len(soak.acked_events),
            "answered": len(counts),
            "lost": len(soak.acked_events) - len(counts),
            "duplicates": sum(n - 1 for n in counts.values()),
        },
        "reports_missing": missing_reports,
        "rss_samples": samples,
        "rss_final_mb": final_rss,
        "rss_baseline_mb": baseline,
        "rss_growth_mb": growth,
    }
    failures = [
        f"{kind} error rate {result[kind]['error_rate']:.2%} > {args.max_error_rate:.2%}"
        for kind in ("chat", "webhook", "reports")
        if result[kind]["error_rate"] > args.max_error_rate
    ]
    if growth > args.max_rss_growth_mb:
        failures.append(f"RSS grew {growth:.0f} MB after warm-up (> {args.max_rss_growth_mb:.0f} MB)")
    if result["line"]["lost"] or result["line"]["duplicates"]:
        failures.append(f"LINE: {result['line']['lost']} lost, {result['line']['duplicates']} duplicated")
    if missing_reports:
        failures.append(f"{missing_reports} accepted reports not found")
    result["failures"] = failures
    result["passed"] = not failures
    (OUT / "soak.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    c, w, r = result["chat"], result["webhook"], result["reports"]
    print(
        f"\nchat   {c['requests']} turns, {c['errors']} errors, p50 {c['p50_ms']:.0f} ms, p95 {c['p95_ms']:.0f} ms\n"
        f"LINE   {w['requests']} webhooks ({w['errors']} errors, ack p99 {w['p99_ms']:.0f} ms), "
        f"{result['line']['answered']} answered, {result['line']['lost']} lost, "
        f"{result['line']['duplicates']} duplicated\n"
        f"report {r['requests']} posted, {r['errors']} errors, {missing_reports} missing\n"
        f"RSS    baseline {baseline:.0f} MB after {warmup_s:.0f} s warm-up, growth {growth:+.0f} MB; "
        f"final {rss_line(final_rss)}"
    )
    print("soak: " + ("PASSED" if not failures else "FAILED: " + "; ".join(failures)))
    print(f"wrote {OUT / 'soak.json'}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
