"""Periodic jobs inside the gateway (retention, report upkeep, reminders): one asyncio task each, started and
stopped with the app, that survives a failing run (the database may be restarting) and retries sooner."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class Schedule:
    first_delay_s: float
    interval_s: float
    retry_s: float


def install_periodic(
    app: Any, name: str, run: Callable[[Any], Awaitable[object]], schedule: Schedule | Callable[[], Schedule]
) -> None:
    """Run ``await run(app)`` every ``interval_s`` while the app is up (first after ``first_delay_s``).

    ``schedule`` may be a function: it is read when the app starts (tests and operators tune it late).
    """
    tasks: dict[str, asyncio.Task[None]] = {}

    async def loop() -> None:
        plan = schedule() if callable(schedule) else schedule
        delay = plan.first_delay_s
        while True:
            await asyncio.sleep(delay)
            try:
                await run(app)
                delay = plan.interval_s
            except Exception:  # never let one failed run stop the job (the database may be restarting)
                delay = plan.retry_s
                log.exception("%s failed; next attempt in %.0f s", name, delay)

    async def start(app: Any) -> None:
        tasks[name] = asyncio.get_running_loop().create_task(loop(), name=name)

    async def stop(app: Any) -> None:
        task = tasks.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.state.startup_hooks.append(start)
    app.state.shutdown_hooks.append(stop)
