"""Garbage-day and snowplow reminders, pushed over LINE by the gateway every few minutes.

`bot.reminders.delivery.run_reminders` decides who gets what and keeps the sent-log (exactly one push per subscription
and date); this module adapts the LINE channel's reliable sender to its `Pusher` protocol and schedules it.
Only LINE residents can subscribe (actions/reminders.py); one who unfollowed gets nothing (the run is logged
failed).
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from sqlalchemy.orm import Session, sessionmaker

from bot.live_citydata import CityDataStore, local_now
from bot.reminders.delivery import ReminderRun, run_reminders
from bot.run.jobs import Schedule, install_periodic
from bot.storage import line_inbox
from channels.line.client import LineClient

log = logging.getLogger(__name__)

SCHEDULE = Schedule(first_delay_s=30.0, interval_s=300.0, retry_s=120.0)


class NoPushTarget(LookupError):
    """The subscriber is not (or no longer) a LINE friend: nothing can be pushed."""


class LinePusher:
    """`Pusher` over LINE: the subscription's pseudonymous sender ref → LINE user id → push with the retry key."""

    def __init__(self, factory: sessionmaker[Session], sender: LineClient) -> None:
        self.factory = factory
        self.sender = sender

    def _user_id(self, sender_ref: str) -> str | None:
        with self.factory() as session:
            return line_inbox.push_target(session, sender_ref)

    async def push(self, sender_ref: str, messages: list[dict[str, Any]], retry_key: str) -> None:
        user_id = await anyio.to_thread.run_sync(lambda: self._user_id(sender_ref))
        if user_id is None:
            raise NoPushTarget(f"{sender_ref[:12]}… is not a followed LINE resident")
        await self.sender.push(user_id, messages, retry_key)


async def run_once(app: Any) -> ReminderRun | None:
    """One pass of the reminder job (None when LINE is not configured)."""
    settings = app.state.settings
    token = settings.line_channel_access_token.get_secret_value()
    if not token:
        return None
    factory = app.state.session_factory
    store = getattr(app.state, "city_store", None)
    if store is None:  # this app's own store: staff imports (datasets revision) are picked up on the next run
        store = app.state.city_store = CityDataStore(factory, settings.city_data_dir)
    data = store.get()
    async with LineClient(token, settings.line_api_base_url, settings.line_data_api_base_url) as sender:
        report = await run_reminders(
            local_now(), factory=factory, data=data, pusher=LinePusher(factory, sender)
        )
    if report.sent or report.failed:
        log.info(
            "reminders: %d sent, %d failed, %d skipped", len(report.sent), len(report.failed), report.skipped
        )
    return report


def install(app: Any) -> None:
    install_periodic(app, "reminders", run_once, SCHEDULE)
