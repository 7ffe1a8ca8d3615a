"""Periodic jobs (bot/run/jobs.py): started and stopped with the app, first run after its delay, then every
interval; a failing run is logged and retried sooner, and never stops the job."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import pytest

from bot.run import jobs
from bot.run.jobs import Schedule, install_periodic

REAL_SLEEP = asyncio.sleep


class FakeApp:
    def __init__(self) -> None:
        self.state = SimpleNamespace(startup_hooks=[], shutdown_hooks=[])

    async def start(self) -> None:
        for hook in self.state.startup_hooks:
            await hook(self)

    async def stop(self) -> None:
        for hook in self.state.shutdown_hooks:
            await hook(self)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the job waited, in order (each wait only yields to the event loop)."""
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)
        await REAL_SLEEP(0)

    monkeypatch.setattr(jobs.asyncio, "sleep", sleep)
    return delays


def _run_until(app: FakeApp, done: asyncio.Event) -> None:
    async def main() -> None:
        await app.start()
        await asyncio.wait_for(done.wait(), timeout=5)
        await app.stop()

    asyncio.run(main())


def test_runs_after_the_first_delay_then_every_interval(slept: list[float]) -> None:
    app, done, runs = FakeApp(), asyncio.Event(), []

    async def run(target: Any) -> None:
        runs.append(target)
        if len(runs) == 3:
            done.set()

    install_periodic(app, "tick", run, Schedule(first_delay_s=7, interval_s=60, retry_s=5))
    assert len(app.state.startup_hooks) == len(app.state.shutdown_hooks) == 1
    _run_until(app, done)
    assert runs[:3] == [app, app, app]  # the job is handed the app
    assert slept[:3] == [7, 60, 60]


def test_a_failing_run_is_logged_and_retried_sooner(
    slept: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    app, done, outcomes = FakeApp(), asyncio.Event(), ["fail", "ok", "fail", "fail", "ok"]
    calls = 0

    async def run(_: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == len(outcomes):
            done.set()
        if outcomes[min(calls, len(outcomes)) - 1] == "fail":
            raise ConnectionError("database restarting")

    install_periodic(app, "upkeep", run, Schedule(first_delay_s=1, interval_s=60, retry_s=5))
    with caplog.at_level(logging.ERROR, logger=jobs.__name__):
        _run_until(app, done)
    assert slept[:5] == [1, 5, 60, 5, 5]  # after a failure: retry_s; after a success: interval_s
    failures = [r for r in caplog.records if "upkeep failed; next attempt in 5 s" in r.getMessage()]
    assert len(failures) == 3 and all(r.exc_info for r in failures)


def test_a_schedule_function_is_read_when_the_app_starts(slept: list[float]) -> None:
    app, done = FakeApp(), asyncio.Event()
    tuned = {"interval": 300.0}

    async def run(_: Any) -> None:
        done.set()

    install_periodic(app, "late", run, lambda: Schedule(0.5, tuned["interval"], 1))
    tuned["interval"] = 2.0  # changed after install, before start (tests and operators tune it late)
    _run_until(app, done)
    assert slept[:2] == [0.5, 2.0]


def test_stop_cancels_the_task_and_is_safe_without_start() -> None:
    app = FakeApp()
    started = asyncio.Event()

    async def run(_: Any) -> None:
        started.set()

    install_periodic(app, "cancelled", run, Schedule(first_delay_s=0, interval_s=3600, retry_s=3600))

    async def main() -> list[str]:
        await app.stop()  # never started: nothing to cancel
        await app.start()
        await asyncio.wait_for(started.wait(), timeout=5)
        await app.stop()  # the task is sleeping for an hour: cancelled, and awaited
        return [t.get_name() for t in asyncio.all_tasks() if not t.done()]

    assert "cancelled" not in asyncio.run(main())
