"""After the report form: submitting (stored, spooled, declined), cancelling and the status query, with
rasa-sdk's CollectingDispatcher and Tracker."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from actions import reports as ra
from actions.report_form import ActionAskReportConfirm
from actions.report_parsing import SLOTS
from actions.reports import ActionReportStatus, ActionSubmitReport
from actions.runtime import Runtime
from bot.reports.photos import PhotoStore
from bot.reports.service import change_status
from bot.storage import reports as repo
from bot.storage.reports import Report
from knowledge.clock import CityClock
from knowledge.kb import FaqEntry
from tests.support.citydata import responses, sure_of
from tests.support.report_form import SENDER, Form, metas, photo, report_runtime, texts
from tests.support.reports import FakeNotifier


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    runtime, engine = report_runtime(tmp_path)
    yield runtime
    engine.dispose()


def test_happy_path_with_photo_and_location(rt: Runtime) -> None:
    factory = rt.factory
    form = Form(rt)
    _, said = form.turn("道路に穴があいています", {"report_category": "road_damage"})
    assert form.slots["report_category"] == "road_damage" and "道路の穴・損傷" in said[0]
    pid = photo(rt.settings)
    form.turn("[写真]", metadata={"photo_ids": [pid]})
    assert form.slots["report_photos"] == [pid]
    _, said = form.turn(
        "[位置情報]",
        {"report_location": "[位置情報]"},
        metadata={"location": {"lat": 35.6895, "lon": 139.6917, "address": "中央町3丁目"}},
    )
    assert form.slots["report_location"] == "35.689500,139.691700 中央町3丁目"
    form.turn("幅50センチほどの穴があいている", {"report_description": "幅50センチほどの穴があいている"})
    _, asked = form.act(ActionAskReportConfirm(rt))
    summary = texts(asked)
    for part in ("道路の穴・損傷", "中央町3丁目", "写真: 1枚", "幅50センチ", "道路維持課", "よろしいですか"):
        assert part in summary
    assert [b["payload"] for b in asked[0]["buttons"]] == ["はい", "いいえ"]
    form.turn("はい", {"report_confirm": "はい"})
    assert form.slots["report_confirm"] == "yes"
    events, said = form.act(ActionSubmitReport(rt), "はい")
    assert "受付番号: R-" in texts(said) and "このLINEでお知らせします" in texts(said)
    assert responses(said) == ["utter_report_accepted_line"] and said[0]["case_number"].startswith("R-")
    (meta,) = metas(said)
    assert meta["kind"] == "report" and meta["report_id"].startswith("R-")
    assert {"event": "slot", "timestamp": None, "name": "report_confirm", "value": None} in events
    with factory() as session:
        report = repo.get_by_case_number(session, meta["report_id"])
        assert (report.lat, report.lon, report.address_text) == (35.6895, 139.6917, "中央町3丁目")
        assert (report.reporter, report.reporter_ref, report.channel) == (SENDER, "ref-9", "line")
        assert [p.photo_id for p in repo.photos_of(session, report.id)] == [pid]


def test_cancel_at_any_step_saves_nothing(rt: Runtime) -> None:
    factory = rt.factory
    form = Form(rt)
    form.slots.update(report_category="road_damage", report_photos="skip", requested_slot="report_location")
    events, said = form.turn("キャンセル", {"report_location": "キャンセル"})
    assert "取りやめました" in said[0]
    assert all(form.slots[s] is None for s in SLOTS) and form.slots["requested_slot"] is None
    events, said = form.act(ActionSubmitReport(rt))  # the form ended: the submit rule runs, silently
    assert said == []
    form.slots.update(report_category="road_damage")
    events, said = form.act(ra.ActionCancelForm(rt), "やめる")
    assert {"event": "active_loop", "timestamp": None, "name": None} in events
    assert "保存していません" in texts(said)
    with factory() as session:
        assert session.query(Report).count() == 0


def test_no_at_confirmation_sends_nothing(rt: Runtime) -> None:
    factory = rt.factory
    form = Form(rt)
    form.slots.update(
        report_category="other",
        report_photos="skip",
        report_location="skip",
        report_description="看板が落ちそう",
        requested_slot="report_confirm",
    )
    form.turn("いいえ", {"report_confirm": "いいえ"})
    assert form.slots["report_confirm"] == "no"
    _, said = form.act(ActionSubmitReport(rt), "いいえ")
    assert "取りやめました" in texts(said) and "送信していません" in texts(said)
    assert responses(said) == ["utter_report_declined"]
    with factory() as session:
        assert session.query(Report).count() == 0


def test_status_query_lists_own_cases_with_latest_note(rt: Runtime) -> None:
    factory = rt.factory
    form = Form(rt)
    form.slots.update(
        report_category="road_damage",
        report_photos="skip",
        report_location="中央町",
        report_description="穴",
        report_confirm="yes",
    )
    _, said = form.act(ActionSubmitReport(rt), "はい")
    case = metas(said)[0]["report_id"]
    with factory() as session:
        rid = repo.get_by_case_number(session, case).id
    change_status(factory, rid, "対応予定", actor="tanaka", note="6月10日に補修します")
    _, said = Form(rt).act(ActionReportStatus(rt), "私の通報はどうなった?")
    out = texts(said)
    assert (
        case in out and "状況: 対応することが決まりました" in out and "お知らせ: 6月10日に補修します" in out
    )
    _, said = Form(rt).act(ActionReportStatus(rt), f"{case}の状況")
    assert case in texts(said) and metas(said)[0]["report_id"] == case
    assert responses(said) == ["utter_report_status"]
    _, said = Form(rt, sender="line-someone-else").act(ActionReportStatus(rt), "私の通報はどうなった?")
    assert case not in texts(said) and "見つかりませんでした" in texts(said)
    _, said = Form(rt, sender="line-someone-else").act(ActionReportStatus(rt), f"{case}はどうなった")
    assert "見つかりませんでした" in texts(said) and responses(said) == ["utter_report_unknown_number_line"]
    assert said[0]["number"] == case


def test_probable_duplicate_is_mentioned_and_still_accepted(rt: Runtime) -> None:
    first = Form(rt)
    first.slots.update(
        report_category="road_damage",
        report_photos="skip",
        report_location="35.681200,139.767100",
        report_description="穴",
        report_confirm="yes",
    )
    _, said = first.act(ActionSubmitReport(rt), "はい")
    case = metas(said)[0]["report_id"]
    second = Form(rt, sender="line-neighbour")
    second.slots.update(
        report_category="road_damage",
        report_photos="skip",
        report_location="35.681300,139.767100 同じ交差点",
        report_description="穴がある",
        report_confirm="yes",
    )
    _, said = second.act(ActionSubmitReport(rt), "はい")
    assert f"同じような通報(受付番号 {case})" in texts(said) and metas(said)[0]["report_id"] != case


def test_the_city_clock_dates_reports_and_numbers_their_year(rt: Runtime) -> None:
    """MADOGUCHI_CLOCK governs a chat report: its date and case-number year; duplicates still found."""
    fixed = replace(rt, clock=CityClock(datetime(2031, 1, 9, 10, 0)))
    cases = []
    for sender in (SENDER, "line-neighbour"):
        form = Form(fixed, sender=sender)
        form.slots.update(
            report_category="road_damage",
            report_photos="skip",
            report_location="35.681200,139.767100",
            report_description="穴",
            report_confirm="yes",
        )
        _, said = form.act(ActionSubmitReport(fixed), "はい")
        cases.append(metas(said)[0]["report_id"])
    assert cases == ["R-2031-000001", "R-2031-000002"]
    assert f"同じような通報(受付番号 {cases[0]})" in texts(said)
    with rt.factory() as session:
        report = repo.get_by_case_number(session, cases[0])
        assert report.created_at == datetime(2031, 1, 9, 1, 0)  # 10:00 in the city, as naive UTC


def test_missing_photo_is_reported_to_staff(rt: Runtime) -> None:
    factory = rt.factory
    pid = photo(rt.settings)
    (PhotoStore.from_settings(rt.settings).root / f"{pid}.jpg").unlink()  # lost on disk before submit
    form = Form(rt)
    form.slots.update(
        report_category="road_damage",
        report_photos=[pid],
        report_location="skip",
        report_description="穴",
        report_confirm="yes",
    )
    _, said = form.act(ActionSubmitReport(rt), "はい")
    assert "写真なしで受け付けました" in texts(said)
    with factory() as session:
        assert repo.open_alert_counts(session) == {"report_photo_missing": 1}


def test_database_outage_spools_the_report(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = rt.settings

    def down(*args: Any, **kwargs: Any) -> None:
        raise OSError("database is down")

    monkeypatch.setattr(ra, "submit_report", down)
    form = Form(rt)
    form.slots.update(
        report_category="road_damage",
        report_photos="skip",
        report_location="skip",
        report_description="穴",
        report_confirm="yes",
    )
    _, said = form.act(ActionSubmitReport(rt), "はい")
    assert "内容は保存しました" in texts(said) and responses(said) == ["utter_report_spooled"]
    assert len(list((settings.data_dir / "spool" / "reports").glob("*.json"))) == 1


def test_a_status_question_without_reports_or_number_asks_the_faq_first(rt: Runtime) -> None:
    """NLU learned the demo city's wording: a new city's FAQ question can land on report status. With no case
    number and no report of this resident's, what the FAQ would do comes first; otherwise the status."""
    entry = FaqEntry(id="koseki-003", question="戸籍の証明書を郵送で取りたい", answer="郵送請求の方法です。")
    sure = replace(rt, searcher=sure_of(entry))
    _, said = Form(sure).act(ActionReportStatus(sure), "戸籍の証明書の送ってもらう状況はどうなってますか")
    assert metas(said) == [{"faq_id": "koseki-003", "kind": "faq"}]
    _, said = Form(sure).act(ActionReportStatus(sure), "R-2026-000001の状況")  # a number: never the FAQ
    assert "見つかりませんでした" in texts(said) and sure.searcher.calls == [
        {
            "text": "戸籍の証明書の送ってもらう状況はどうなってますか",
            "strict": False,
            "today": sure.clock.today(),
        }
    ]
    nothing = replace(rt, searcher=sure_of(entry, "unknown"))
    _, said = Form(nothing).act(ActionReportStatus(nothing), "私の通報はどうなった?")
    assert "これまでのご通報は見つかりませんでした" in texts(said)


def test_the_push_and_the_status_reply_use_the_same_words(rt: Runtime) -> None:
    """Issue 17, item 19: 対応予定 in the reply vs 「対応することが決まりました」 in the push."""
    form = Form(rt)
    form.slots.update(
        report_category="road_damage",
        report_photos="skip",
        report_location="中央町",
        report_description="穴",
        report_confirm="yes",
    )
    _, said = form.act(ActionSubmitReport(rt), "はい")
    case = metas(said)[0]["report_id"]
    with rt.factory() as session:
        rid = repo.get_by_case_number(session, case).id
    for status in ("確認中", "対応予定", "対応済み"):
        notifier = FakeNotifier()
        change_status(rt.factory, rid, status, actor="tanaka", notifier=notifier)
        [(_, [pushed], _)] = notifier.calls
        _, said = Form(rt).act(ActionReportStatus(rt), "私の通報はどうなった?")
        [line] = [x for x in texts(said).splitlines() if "状況:" in x]
        words = line.split("状況:", 1)[1].strip()
        assert words != status and f"について、{words}。" in pushed
