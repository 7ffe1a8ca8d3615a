"""Report upkeep: spooled reports are filed once even with several replayers, unreadable files are set aside,
an abandoned claim is taken back, and the gateway runs the upkeep by itself."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from sqlalchemy import select

from bot.reports.categories import load_categories
from bot.reports.service import SPOOL_CLAIM_STALE_S, ReportDraft, replay_spool, spool_draft
from bot.reports.upkeep import run_upkeep
from bot.settings import REPO_ROOT, Settings
from bot.storage.db import make_engine, migrate, session_factory
from bot.storage.reports import Report

CATEGORIES = load_categories(REPO_ROOT / "knowledge" / "data" / "city" / "report_categories.json")


def draft(i: int) -> ReportDraft:
    return ReportDraft(category="road_damage", description=f"spooled {i}", reporter=f"web-{i}", channel="web")


def descriptions(factory) -> list[str]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return sorted(session.scalars(select(Report.description)))


def test_two_replayers_file_each_spooled_report_once(factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spool = tmp_path / "spool"
    for i in range(20):
        spool_draft(spool, draft(i))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def replay() -> None:
        start.wait()
        try:
            replay_spool(factory, spool, CATEGORIES)
        except BaseException as exc:  # SQLite may report "database is locked" to the loser of a race
            errors.append(exc)

    threads = [threading.Thread(target=replay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    replay_spool(factory, spool, CATEGORIES)  # whatever a failed replayer gave back
    assert descriptions(factory) == sorted(f"spooled {i}" for i in range(20))
    assert list(spool.iterdir()) == []


def test_unreadable_file_is_set_aside_and_abandoned_claim_taken_back(factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "20250101T000000-broken.json").write_text("{not json", encoding="utf-8")
    abandoned = spool_draft(spool, draft(1)).rename(spool / "20250101T000001-dead.replaying")
    old = time.time() - SPOOL_CLAIM_STALE_S - 5
    os.utime(abandoned, (old, old))  # a replayer died while filing it long ago
    fresh = spool_draft(spool, draft(2)).rename(spool / "20250101T000002-busy.replaying")  # being filed now
    filed = replay_spool(factory, spool, CATEGORIES)
    assert [o.case_number for o in filed] and descriptions(factory) == ["spooled 1"]
    assert sorted(p.name for p in spool.iterdir()) == ["20250101T000000-broken.bad", fresh.name]


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
        while descriptions(app.state.session_factory) != ["spooled 8"]:
            assert time.monotonic() < deadline, "the gateway did not file the spooled report"
            time.sleep(0.05)
