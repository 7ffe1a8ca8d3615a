"""Garbage-day and snowplow reminders, pushed over LINE by the gateway every few minutes.

`bot.reminders.delivery.run_reminders` decides who gets what and keeps the sent-log (exactly one push per subscription
and date); this module adapts the LINE channel's reliable client to its `Pusher` protocol and schedules it.
Only LINE residents can subscribe (actions/reminders.py); one who unfollowed gets nothing (the run is logged
failed). While LINE's monthly message allowance is used up (bot/line/usage.py) the job pushes nothing: it does
not try every resident every five minutes until midnight, it waits until the allowance has room again.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from bot.line.usage import PushGate
from bot.reminders.delivery import PushesPaused, ReminderRun, run_reminders
from bot.run.jobs import Schedule, install_periodic
from bot.services import services_of
from bot.storage import line_inbox
from channels.line.client import LineClient, LineQuotaExhausted

log = logging.getLogger(__name__)

SCHEDULE = Schedule(first_delay_s=30.0, interval_s=300.0, retry_s=120.0)


class NoPushTarget(LookupError):
    """The subscriber is not (or no longer) a LINE friend: nothing can be pushed."""


class LinePusher:
    """`Pusher` over LINE: the subscription's resident_key (its `sender_ref` column) → LINE user id → push with
    the retry key."""

    def __init__(self, factory: sessionmaker[Session], line_client: LineClient) -> None:
        self.factory = factory
        self.line_client = line_client

    def _user_id(self, resident_key: str) -> str | None:
        with self.factory() as session:
            return line_inbox.push_target(session, resident_key)

    async def push(self, resident_key: str, messages: list[dict[str, Any]], retry_key: str) -> None:
        user_id = await anyio.to_thread.run_sync(lambda: self._user_id(resident_key))
        if user_id is None:
            raise NoPushTarget(f"{resident_key[:12]}… is not a followed LINE resident")
        try:
            await self.line_client.push(user_id, messages, retry_key)
        except LineQuotaExhausted as exc:
            await PushGate(self.factory).exhausted_async("reminder push")
            raise PushesPaused(str(exc)) from exc


async def run_once(app: FastAPI) -> ReminderRun | None:
    """One pass of the reminder job (None when LINE is not configured)."""
    services = services_of(app)
    settings = services.settings
    token = settings.line_channel_access_token.get_secret_value()
    if not token:
        return None
    factory = services.factory
    data = services.city_store.get()  # staff imports (datasets revision) are picked up on the next run
    async with LineClient(token, settings.line_api_base_url, settings.line_data_api_base_url) as line_client:
        if not await PushGate(factory).allows(line_client):
            log.info("reminders held: LINE's monthly message allowance is used up")
            return ReminderRun(paused=True)
        report = await run_reminders(
            services.clock.now(), factory=factory, data=data, pusher=LinePusher(factory, line_client)
        )
    if report.sent or report.failed:
        log.info(
            "reminders: %d sent, %d failed, %d skipped", len(report.sent), len(report.failed), report.skipped
        )
    return report


def install(app: FastAPI) -> None:
    install_periodic(app, "reminders", run_once, SCHEDULE)
