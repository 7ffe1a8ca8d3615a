"""bot.storage.reports on SQLite and PostgreSQL: case-number sequences per year, a resident's reports, the
staff view's filters, staff alerts, publication (what Open311 may show). (The rules on top are tested in tests/bot/reports/.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

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


def test_only_published_cases_are_listed_with_their_duplicate_and_reviewed_photo(factory) -> None:  # type: ignore[no-untyped-def]
    private = submit(factory, draft(photo_ids=["a" * 32]))
    shown = submit(factory, draft(photo_ids=["b" * 32, "c" * 32]))
    with transaction(factory) as session:
        assert (
            repo.publish(session, shown.report_id, actor="tanaka", description="穴", note="来週補修")
            is not None
        )
        assert repo.publish(session, 999_999, actor="tanaka", description="x") is None
        for photo in session.scalars(select(repo.ReportPhoto)):
            photo.reviewed = photo.photo_id != "b" * 32  # the first photo of `shown` is not reviewed
        session.get(repo.Report, shown.report_id).duplicate_of = private.report_id  # type: ignore[union-attr]
    with factory() as session:
        (case,) = repo.published_cases(session)
        assert case.report.id == shown.report_id and case.photo_id == "c" * 32
        assert case.duplicate_case == private.case_number  # a case number is not personal data
        assert (case.report.public_description, case.report.public_note) == ("穴", "来週補修")
        assert case.report.published_by == "tanaka" and case.report.published_at is not None
        assert repo.published_cases(session, case_numbers=[private.case_number]) == []
        assert len(repo.published_cases(session, case_numbers=[shown.case_number.lower()])) == 1
        assert repo.published_cases(session, statuses=["対応済み"]) == []
        assert repo.published_cases(session, categories=["illegal_dumping"]) == []
    with transaction(factory) as session:
        repo.withdraw(session, shown.report_id)
    with factory() as session:
        assert repo.published_cases(session) == []
        withdrawn = session.get(repo.Report, shown.report_id)
        assert (
            withdrawn is not None
            and withdrawn.public_note == "来週補修"
            and withdrawn.published_by == "tanaka"
        )


def test_a_deleted_photo_is_not_offered(factory) -> None:  # type: ignore[no-untyped-def]
    shown = submit(factory, draft(photo_ids=["d" * 32]))
    with transaction(factory) as session:
        repo.publish(session, shown.report_id, actor="tanaka", description="穴")
        for photo in session.scalars(select(repo.ReportPhoto)):
            photo.reviewed, photo.deleted_at = True, NOW  # retention deleted the file
    with factory() as session:
        assert [c.photo_id for c in repo.published_cases(session)] == [None]
