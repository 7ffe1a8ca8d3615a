"""bot.reports.service on SQLite and PostgreSQL: case numbers per city year, routing and photos, the status
lifecycle with its history, duplicates marked by staff, telling the LINE resident, a resident's own cases."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.reports.service import TransitionError, change_status, reports_of, submit_report
from bot.settings import load_settings
from bot.storage import reports as repo
from bot.storage.db import transaction
from bot.storage.reports import Report
from knowledge.clock import CityClock
from tests.support.reports import CATEGORIES, NOW, FakeNotifier, draft, submit


def test_case_numbers_count_per_japan_year(factory) -> None:  # type: ignore[no-untyped-def]
    numbers = [submit(factory, draft(where=None), NOW).case_number for _ in range(3)]
    assert numbers == ["R-2025-000001", "R-2025-000002", "R-2025-000003"]
    # 2025-12-31 15:30 UTC is already 2026-01-01 in Japan: a new year, a new sequence
    assert submit(factory, draft(where=None), datetime(2025, 12, 31, 15, 30)).case_number == "R-2026-000001"
    assert submit(factory, draft(where=None), datetime(2025, 12, 31, 14, 59)).case_number == "R-2025-000004"


def test_the_city_clock_dates_a_case_whatever_the_server_zone(factory, far_server_tz: str) -> None:  # type: ignore[no-untyped-def]
    clock = load_settings(env="test", clock=datetime(2027, 1, 1, 0, 30)).city_clock()  # MADOGUCHI_CLOCK
    with transaction(factory) as session:
        out = submit_report(session, draft(where=None), CATEGORIES, clock=clock)
    assert out.case_number == "R-2027-000001"
    with factory() as session:
        assert session.get(Report, out.report_id).created_at == datetime(2026, 12, 31, 15, 30)


def test_a_real_clock_by_default(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        out = submit_report(session, draft(where=None), CATEGORIES)
    assert out.case_number == f"R-{CityClock().year()}-000001"


def test_failed_submit_gives_its_number_back(factory) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), transaction(factory) as session:
        submit_report(session, draft(where=None), CATEGORIES, clock=CityClock(datetime(2025, 6, 1, 12)))
        raise RuntimeError("boom")
    assert submit(factory, draft(where=None)).case_number == "R-2025-000001"


def test_submit_routes_and_keeps_photos_and_first_event(factory) -> None:  # type: ignore[no-untyped-def]
    out = submit(
        factory,
        draft(
            "illegal_dumping",
            photo_ids=["a" * 32, "b" * 32, "a" * 32, "c" * 32, "d" * 32],
            reporter_ref="ref-1",
            address_text="中央町3丁目 公園の横",
        ),
    )
    assert out.department == "環境課"
    with factory() as session:
        report = session.get(Report, out.report_id)
        assert (report.status, report.reporter, report.reporter_ref) == ("受付", "line-r1", "ref-1")
        assert [p.photo_id for p in repo.photos_of(session, report.id)] == ["a" * 32, "b" * 32, "c" * 32]
        assert not any(p.reviewed for p in repo.photos_of(session, report.id))
        (first,) = repo.history(session, report.id)
        assert (first.status_from, first.status_to) == (None, "受付")


def test_lifecycle_is_enforced_and_recorded(factory) -> None:  # type: ignore[no-untyped-def]
    rid = submit(factory, draft()).report_id
    change_status(factory, rid, "確認中", actor="tanaka", note="現地を確認します")
    change_status(factory, rid, "対応予定", actor="tanaka", note="6月10日に補修します")
    with pytest.raises(TransitionError):
        change_status(factory, rid, "受付", actor="tanaka")
    with pytest.raises(TransitionError):
        change_status(factory, rid, "対応予定", actor="tanaka")  # the same status again
    with pytest.raises(TransitionError):
        change_status(factory, rid, "完了", actor="tanaka")  # not a status
    change_status(factory, rid, "対応済み", actor="suzuki", note="補修しました")
    with pytest.raises(TransitionError):
        change_status(factory, rid, "対応予定", actor="suzuki")
    with pytest.raises(TransitionError):
        change_status(factory, 999_999, "確認中", actor="suzuki")  # no such report
    with factory() as session:
        events = repo.history(session, rid)
        assert [(e.status_from, e.status_to, e.actor) for e in events] == [
            (None, "受付", "resident:line"),
            ("受付", "確認中", "tanaka"),
            ("確認中", "対応予定", "tanaka"),
            ("対応予定", "対応済み", "suzuki"),
        ]
        assert events[2].note == "6月10日に補修します" and events[3].created_at >= events[2].created_at
        assert repo.latest_note(session, rid) == "補修しました"
        assert session.get(Report, rid).status == "対応済み"


def test_out_of_scope_needs_a_reason_and_duplicate_a_target(factory) -> None:  # type: ignore[no-untyped-def]
    first = submit(factory, draft()).report_id
    second = submit(factory, draft(where=None)).report_id
    with pytest.raises(TransitionError):
        change_status(factory, second, "対象外", actor="x")
    with pytest.raises(TransitionError):
        change_status(factory, second, "重複", actor="x")
    with pytest.raises(TransitionError):
        change_status(factory, second, "重複", actor="x", duplicate_of=second)
    change_status(factory, second, "重複", actor="x", duplicate_of="R-2025-000001")
    with factory() as session:
        assert session.get(Report, second).duplicate_of == first
    with pytest.raises(TransitionError):  # a cycle
        change_status(factory, first, "重複", actor="x", duplicate_of=second)
    change_status(factory, second, "確認中", actor="x", note="別の穴でした")
    with factory() as session:
        assert session.get(Report, second).duplicate_of is None
    change_status(factory, second, "対象外", actor="x", note="県道・国道(管理者が異なります)")


def test_status_change_notifies_the_line_resident(factory) -> None:  # type: ignore[no-untyped-def]
    rid = submit(factory, draft()).report_id
    notifier = FakeNotifier()
    event = change_status(
        factory,
        rid,
        "対応予定",
        actor="tanaka",
        note="来週の水曜日に補修します",
        notifier=notifier,
        categories=CATEGORIES,
    )
    ((resident_key, texts, key),) = notifier.calls
    assert resident_key == "line-r1" and key == f"report-{rid}-{event.id}"
    assert (
        "R-2025-000001" in texts[0]
        and "道路の穴・損傷" in texts[0]
        and "対応することが決まりました" in texts[0]
    )
    assert "来週の水曜日に補修します" in texts[0]
    assert event.notified_at is not None
    change_status(
        factory, rid, "対象外", actor="tanaka", note="県道・国道(管理者が異なります)", notifier=notifier
    )
    assert "市では対応できない" in notifier.calls[-1][1][0] and "理由: 県道・国道" in notifier.calls[-1][1][0]


def test_a_duplicate_tells_the_resident_the_other_case(factory) -> None:  # type: ignore[no-untyped-def]
    first = submit(factory, draft(resident_key="line-r0"))
    second = submit(factory, draft(where=None)).report_id
    notifier = FakeNotifier()
    change_status(factory, second, "重複", actor="x", duplicate_of=first.case_number, notifier=notifier)
    ((resident_key, texts, _),) = notifier.calls
    assert resident_key == "line-r1" and f"受付番号 {first.case_number})をすでに受け付けていた" in texts[0]


def test_web_reports_are_not_pushed(factory) -> None:  # type: ignore[no-untyped-def]
    rid = submit(factory, draft(resident_key="web-x", channel="web")).report_id
    notifier = FakeNotifier()
    change_status(factory, rid, "確認中", actor="x", notifier=notifier)
    assert notifier.calls == []


def test_a_failed_push_leaves_the_change_standing_and_pending(factory) -> None:  # type: ignore[no-untyped-def]
    rid = submit(factory, draft()).report_id
    event = change_status(
        factory, rid, "確認中", actor="x", note="確認します", notifier=FakeNotifier(ok=False)
    )
    assert event.notified_at is None
    with factory() as session:
        assert session.get(Report, rid).status == "確認中"
        assert repo.history(session, rid)[-1].notified_at is None


def test_reports_of_lists_the_residents_own_cases_with_their_latest_note(factory) -> None:  # type: ignore[no-untyped-def]
    mine = [submit(factory, draft(where=None)) for _ in range(3)]
    submit(factory, draft(where=None, resident_key="line-other"))
    change_status(factory, mine[0].report_id, "確認中", actor="x", note="見に行きます")
    with factory() as session:
        listed = [(r.case_number, note) for r, note in reports_of(session, "line-r1", limit=2)]
    assert listed == [(mine[2].case_number, ""), (mine[1].case_number, "")]
    with factory() as session:
        assert (mine[0].case_number, "見に行きます") in [
            (r.case_number, note) for r, note in reports_of(session, "line-r1")
        ]
