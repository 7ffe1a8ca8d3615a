"""Report upkeep in the gateway: file the reports spooled while the database was down, and resend LINE status
notifications that could not be pushed, every `UpkeepOptions.interval_s` (so the service recovers by itself;
`madoguchi reports replay-spool` / `notify` do the same by hand).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from bot.reports.categories import load_categories
from bot.reports.notifications import LinePushNotifier, retry_pending_notifications
from bot.reports.spool import replay_spool
from bot.run.jobs import Schedule, install_periodic
from bot.services import services_of
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class UpkeepOptions:
    first_delay_s: float = 10.0
    interval_s: float = 60.0


def run_upkeep(factory: sessionmaker[Session], settings: Settings) -> dict[str, int]:
    """One pass; raises when the database still refuses (the spool stays for the next pass)."""
    categories = load_categories(settings.report_categories_file)
    filed = replay_spool(factory, settings.data_dir / "spool" / "reports", categories)
    for outcome in filed:
        log.warning("spooled report filed as %s", outcome.case_number)
    notified = 0
    if settings.line_channel_access_token.get_secret_value():
        notified = retry_pending_notifications(factory, LinePushNotifier(factory, settings), categories)
    return {"filed": len(filed), "notified": notified}


def install(app: FastAPI) -> None:
    """Run `run_upkeep` in the background for the app's lifetime; `app.state.upkeep_options` tunes it."""
    app.state.upkeep_options = UpkeepOptions()

    async def run(app: FastAPI) -> None:
        services = services_of(app)
        await anyio.to_thread.run_sync(lambda: run_upkeep(services.factory, services.settings))

    def schedule() -> Schedule:
        options: UpkeepOptions = app.state.upkeep_options
        return Schedule(options.first_delay_s, options.interval_s, retry_s=options.interval_s)

    install_periodic(app, "report upkeep", run, schedule)
