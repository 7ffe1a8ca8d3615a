"""Report upkeep: one pass files the spool of the data dir, and the gateway runs the upkeep by itself.
(Filing the spool itself is tested in test_spool.py.)"""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.reports.service import ReportDraft
from bot.reports.spool import spool_draft
from bot.reports.upkeep import run_upkeep
from bot.settings import Settings
from bot.storage.db import make_engine, migrate, session_factory
from bot.storage.reports import Report


def draft(i: int) -> ReportDraft:
    return ReportDraft(category="road_damage", description=f"spooled {i}", reporter=f"web-{i}", channel="web")


def descriptions(factory) -> list[str]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return sorted(session.scalars(select(Report.description)))


def test_upkeep_files_the_spool_of_the_data_dir(settings: Settings) -> None:
    settings.ensure_dirs()
    migrate(settings.db_url)
    engine = make_engine(settings.db_url)
    factory = session_factory(engine)
    spool_draft(settings.data_dir / "spool" / "reports", draft(7))
    try:
        assert run_upkeep(factory, settings) == {"filed": 1, "notified": 0}
        assert descriptions(factory) == ["spooled 7"]
    finally:
        engine.dispose()


def test_upkeep_runs_in_the_gateway(settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from bot.app import create_app

    spool_draft(settings.data_dir / "spool" / "reports", draft(8))
    app = create_app(settings)
    app.state.upkeep_options.first_delay_s = 0.05
    with TestClient(app):
        deadline = time.monotonic() + 10
        while descriptions(app.state.services.factory) != ["spooled 8"]:
            assert time.monotonic() < deadline, "the gateway did not file the spooled report"
            time.sleep(0.05)
