"""bot.reports.spool: a spooled report is filed later as of when it was spooled, once even with several
replayers; unreadable files are set aside and an abandoned claim is taken back."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from bot.reports.service import ReportDraft
from bot.reports.spool import SPOOL_CLAIM_STALE_S, replay_spool, spool_draft
from bot.storage.reports import Report
from tests.support.reports import CATEGORIES, draft


def numbered(i: int) -> ReportDraft:
    return ReportDraft(category="road_damage", description=f"spooled {i}", reporter=f"web-{i}", channel="web")


def descriptions(factory) -> list[str]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return sorted(session.scalars(select(Report.description)))


def test_spooled_reports_are_filed_later(factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spool = tmp_path / "spool"
    spool_draft(spool, draft(description="DB 障害中の通報"))
    outcomes = replay_spool(factory, spool, CATEGORIES)
    assert len(outcomes) == 1 and not list(spool.glob("*.json"))
    with factory() as session:
        assert session.get(Report, outcomes[0].report_id).description == "DB 障害中の通報"


def test_a_report_is_filed_as_of_its_spooling(factory, tmp_path: Path, far_server_tz: str) -> None:  # type: ignore[no-untyped-def]
    spool = tmp_path / "spool"
    path = spool_draft(spool, draft(where=None))
    data = json.loads(path.read_text(encoding="utf-8"))
    data["spooled_at"] = "2025-12-31T15:30:00"  # 2026-01-01 00:30 in Japan
    path.write_text(json.dumps(data), encoding="utf-8")
    (outcome,) = replay_spool(factory, spool, CATEGORIES)
    assert outcome.case_number == "R-2026-000001"
    with factory() as session:
        assert session.get(Report, outcome.report_id).created_at == datetime(2025, 12, 31, 15, 30)


def test_two_replayers_file_each_spooled_report_once(factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spool = tmp_path / "spool"
    for i in range(20):
        spool_draft(spool, numbered(i))
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
    abandoned = spool_draft(spool, numbered(1)).rename(spool / "20250101T000001-dead.replaying")
    old = time.time() - SPOOL_CLAIM_STALE_S - 5
    os.utime(abandoned, (old, old))  # a replayer died while filing it long ago
    fresh = spool_draft(spool, numbered(2)).rename(
        spool / "20250101T000002-busy.replaying"
    )  # being filed now
    filed = replay_spool(factory, spool, CATEGORIES)
    assert [o.case_number for o in filed] and descriptions(factory) == ["spooled 1"]
    assert sorted(p.name for p in spool.iterdir()) == ["20250101T000000-broken.bad", fresh.name]


def test_no_spool_no_work(factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert replay_spool(factory, tmp_path / "never-made", CATEGORIES) == []
