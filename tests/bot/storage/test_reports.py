"""Reports on SQLite and PostgreSQL: case numbers, lifecycle with history, duplicates, notifications, exports."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.reports.categories import load_categories
from bot.reports.service import (
    ReportDraft,
    TransitionError,
    change_status,
    distance_m,
    export_csv,
    export_geojson,
    replay_spool,
    retry_pending_notifications,
    spool_draft,
    submit_report,
)
from bot.settings import REPO_ROOT
from bot.storage import reports as repo
from bot.storage.db import transaction
from bot.storage.reports import Report

CATEGORIES = load_categories(REPO_ROOT / "knowledge" / "data" / "city" / "report_categories.json")
BASE = (35.681200, 139.767100)
NOW = datetime(2025, 6, 1, 3, 0)  # naive UTC, 12:00 JST


def north(metres: float) -> tuple[float, float]:
    return BASE[0] + metres / 111_195.0, BASE[1]


def draft(
    category: str = "road_damage",
    where: tuple[float, float] | None = BASE,
    reporter: str = "line-r1",
    channel: str = "line",
    **extra,
) -> ReportDraft:  # type: ignore[no-untyped-def]
    lat, lon = where if where else (None, None)
    return ReportDraft(
        category=category,
        description=extra.pop("description", "穴があいています"),
        reporter=reporter,
        channel=channel,
        lat=lat,
        lon=lon,
        **extra,
    )


def submit(factory, d: ReportDraft, now: datetime = NOW):  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        return submit_report(session, d, CATEGORIES, now=now)


class FakeNotifier:
    def __init__(self, ok: bool = True) -> None:
        self.ok = ok
        self.calls: list[tuple[str, list[str], str]] = []

    def notify(self, sender_pseudonym: str, texts: list[str], retry_key: str) -> bool:
        self.calls.append((sender_pseudonym, texts, retry_key))
        if not self.ok:
            raise RuntimeError("LINE is down")
        return True


def test_case_numbers_count_per_japan_year(factory) -> None:  # type: ignore[no-untyped-def]
    numbers = [submit(factory, draft(where=None), NOW).case_number for _ in range(3)]
    assert numbers == ["R-2025-000001", "R-2025-000002", "R-2025-000003"]
    # 2025-12-31 15:30 UTC is already 2026-01-01 in Japan: a new year, a new sequence
    assert submit(factory, draft(where=None), datetime(2025, 12, 31, 15, 30)).case_number == "R-2026-000001"
    assert submit(factory, draft(where=None), datetime(2025, 12, 31, 14, 59)).case_number == "R-2025-000004"


def test_failed_submit_gives_its_number_back(factory) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), transaction(factory) as session:
        submit_report(session, draft(where=None), CATEGORIES, now=NOW)
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


@pytest.mark.parametrize(
    ("category", "metres", "expected"),
    [
        ("road_damage", 20, True),
        ("road_damage", 40, False),
        ("illegal_dumping", 45, True),
        ("illegal_dumping", 60, False),
        ("fallen_tree", 90, True),
        ("fallen_tree", 120, False),
    ],
)
def test_duplicate_radius_per_category(factory, category: str, metres: float, expected: bool) -> None:  # type: ignore[no-untyped-def]
    assert abs(distance_m(*BASE, *north(metres)) - metres) < 0.5
    first = submit(factory, draft(category))
    second = submit(
        factory, draft(category, north(metres), reporter="web-other", channel="web"), NOW + timedelta(days=3)
    )
    assert (second.probable_duplicate_of == first.case_number) is expected
    with factory() as session:
        flagged = session.get(Report, second.report_id).probable_duplicate_of
        assert (flagged == first.report_id) is expected


def test_duplicates_ignore_other_categories_closed_and_old_reports(factory) -> None:  # type: ignore[no-untyped-def]
    old = submit(factory, draft(), NOW - timedelta(days=31))
    assert submit(factory, draft("street_light")).probable_duplicate_of is None
    assert submit(factory, draft()).probable_duplicate_of is None  # only the 31-day-old one is near
    fresh = submit(factory, draft(where=north(10)))
    assert fresh.probable_duplicate_of is not None and fresh.probable_duplicate_of != old.case_number
    with factory() as session:
        for report in session.query(Report).filter(Report.category == "road_damage"):
            if report.status == "受付":
                report.status = "対応済み"
        session.commit()
    assert submit(factory, draft(where=north(5))).probable_duplicate_of is None
    assert submit(factory, draft(where=None)).probable_duplicate_of is None


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
    ((sender, texts, key),) = notifier.calls
    assert sender == "line-r1" and key == f"report-{rid}-{event.id}"
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


def test_web_reports_are_not_pushed(factory) -> None:  # type: ignore[no-untyped-def]
    rid = submit(factory, draft(reporter="web-x", channel="web")).report_id
    notifier = FakeNotifier()
    change_status(factory, rid, "確認中", actor="x", notifier=notifier)
    assert notifier.calls == []


def test_failed_push_is_retried_with_the_same_key(factory) -> None:  # type: ignore[no-untyped-def]
    rid = submit(factory, draft()).report_id
    broken = FakeNotifier(ok=False)
    event = change_status(factory, rid, "確認中", actor="x", note="確認します", notifier=broken)
    assert event.notified_at is None  # the status change itself stands
    with factory() as session:
        assert session.get(Report, rid).status == "確認中"
    working = FakeNotifier()
    assert retry_pending_notifications(factory, working, CATEGORIES) == 1
    assert working.calls[0][2] == broken.calls[0][2] == f"report-{rid}-{event.id}"
    assert retry_pending_notifications(factory, working, CATEGORIES) == 0


def test_exports_csv_with_bom_and_geojson(factory) -> None:  # type: ignore[no-untyped-def]
    submit(factory, draft(description="電話は090-1234-5678です", address_text="中央町1丁目2番3号"))
    submit(factory, draft("illegal_dumping", where=None, address_text="北町の空き地"))
    submit(factory, draft(), NOW + timedelta(days=40))  # outside the range
    with factory() as session:
        data = export_csv(session, date(2025, 6, 1), date(2025, 6, 30), CATEGORIES)
        masked = export_csv(session, date(2025, 6, 1), date(2025, 6, 30), CATEGORIES, mask=True)
        geo = export_geojson(session, date(2025, 6, 1), date(2025, 6, 30), CATEGORIES)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("受付番号,受付日時,更新日時,状態,種類,担当課")
    assert lines[1].startswith("R-2025-000001,2025-06-01T12:00:00+09:00") and "道路の穴・損傷" in lines[1]
    assert len([x for x in lines if x]) == 3
    assert "090-1234-5678" in data.decode("utf-8-sig") and "090-1234-5678" not in masked.decode("utf-8-sig")
    assert "line-r1" not in data.decode("utf-8-sig")
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 2
    point, nowhere = geo["features"]
    assert point["geometry"] == {"type": "Point", "coordinates": [BASE[1], BASE[0]]}
    assert nowhere["geometry"] is None and nowhere["properties"]["category"] == "不法投棄"
    json.dumps(geo)


def test_spooled_reports_are_filed_later(factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spool = tmp_path / "spool"
    spool_draft(spool, draft(description="DB 障害中の通報"))
    outcomes = replay_spool(factory, spool, CATEGORIES)
    assert len(outcomes) == 1 and not list(spool.glob("*.json"))
    with factory() as session:
        assert session.get(Report, outcomes[0].report_id).description == "DB 障害中の通報"


def test_alerts_are_counted(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        repo.add_alert(session, "photo_store_unavailable", "disk full")
        repo.add_alert(session, "photo_store_unavailable", "disk full")
    with factory() as session:
        assert repo.open_alert_counts(session) == {"photo_store_unavailable": 2}
