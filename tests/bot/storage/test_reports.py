"""bot.storage.reports on SQLite and PostgreSQL: case-number sequences per year, a resident's reports, the
staff view's filters, staff alerts. (The rules on top are tested in tests/bot/reports/.)"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.storage import reports as repo
from bot.storage.db import transaction
from tests.support.reports import NOW, draft, submit


def test_case_numbers_count_per_year_and_a_rollback_gives_the_number_back(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        assert [repo.next_case_number(session, 2025) for _ in range(2)] == ["R-2025-000001", "R-2025-000002"]
        assert repo.next_case_number(session, 2026) == "R-2026-000001"
    with pytest.raises(RuntimeError), transaction(factory) as session:
        repo.next_case_number(session, 2025)
        raise RuntimeError("boom")
    with transaction(factory) as session:
        assert repo.next_case_number(session, 2025) == "R-2025-000003"


def test_by_resident_key_newest_first(factory) -> None:  # type: ignore[no-untyped-def]
    first = submit(factory, draft(where=None))
    submit(factory, draft(where=None, resident_key="line-other"))
    second = submit(factory, draft(where=None))
    with factory() as session:
        assert [r.id for r in repo.by_resident_key(session, "line-r1")] == [second.report_id, first.report_id]
        assert [r.id for r in repo.by_resident_key(session, "line-r1", limit=1)] == [second.report_id]
        assert repo.get_by_case_number(session, second.case_number.lower()).id == second.report_id


def test_list_reports_filters_by_creation_time(factory) -> None:  # type: ignore[no-untyped-def]
    early = submit(factory, draft(where=None), NOW)
    late = submit(factory, draft("illegal_dumping", where=None), NOW + timedelta(days=2))
    with factory() as session:
        assert [r.id for r in repo.list_reports(session)] == [late.report_id, early.report_id]
        assert [r.id for r in repo.list_reports(session, end=NOW + timedelta(days=1))] == [early.report_id]
        assert [r.id for r in repo.list_reports(session, department="環境課")] == [late.report_id]


def test_alerts_are_counted(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        repo.add_alert(session, "photo_store_unavailable", "disk full")
        repo.add_alert(session, "photo_store_unavailable", "disk full")
    with factory() as session:
        assert repo.open_alert_counts(session) == {"photo_store_unavailable": 2}
