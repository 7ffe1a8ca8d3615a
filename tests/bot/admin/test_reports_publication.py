"""Publication on Open311 from the console (bot.admin.reports): a report handler reviews a case, approves the
text (the masked original is offered, names can be taken out) and a public note, publishes and withdraws it;
viewers only see whether it is public; every change is audited."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.reports.categories import load_categories
from bot.reports.service import ReportDraft, submit_report
from bot.services import services_of
from bot.storage.accounts import AuditLog
from bot.storage.db import transaction
from tests.support.admin import csrf_of


def a_report(app: FastAPI) -> tuple[int, str]:
    services = services_of(app)
    draft = ReportDraft(
        category="road_damage",
        description="鈴木太郎さん宅の前に穴 090-1234-5678",
        reporter="web-x",
        lat=35.6812,
        lon=139.7671,
        address_text="本町1丁目2番3号",
    )
    with transaction(services.factory) as session:
        out = submit_report(session, draft, load_categories(services.settings.report_categories_file))
    return out.report_id, out.case_number


def public_cases(app: FastAPI) -> list[dict]:
    with TestClient(app) as anyone:
        return list(anyone.get("/open311/v2/requests.json").json())


def test_a_handler_publishes_the_approved_text_and_withdraws_it(admin_app, client_for) -> None:  # type: ignore[no-untyped-def]
    report_id, case = a_report(admin_app)
    handler = client_for("report_handler")
    page = handler.get(f"/admin/reports/{report_id}").text
    assert "非公開" in page and "確認したので公開する" in page
    assert "[電話番号]" in page.split("公開する内容")[1]  # the masked original is offered for review
    assert public_cases(admin_app) == []
    url = f"/admin/reports/{report_id}/publication"
    form = {
        "csrf_token": csrf_of(handler),
        "description": "住宅前の道路に穴",
        "address": "本町1丁目",
        "note": "来週補修します",
    }
    published = handler.post(url, data=form, follow_redirects=False)
    assert published.status_code == 303
    (item,) = public_cases(admin_app)
    assert (item["service_request_id"], item["description"], item["address"]) == (
        case,
        "住宅前の道路に穴",
        "本町1丁目",
    )
    assert item["status_notes"] == "受付: 来週補修します" and "鈴木" not in str(item)
    page = handler.get(f"/admin/reports/{report_id}").text
    assert "公開中" in page and "公開内容を更新する" in page and "住宅前の道路に穴" in page
    withdrawn = handler.post(
        url, data={"csrf_token": csrf_of(handler), "action": "withdraw"}, follow_redirects=False
    )
    assert withdrawn.status_code == 303 and public_cases(admin_app) == []
    assert "住宅前の道路に穴" in handler.get(f"/admin/reports/{report_id}").text  # kept for re-publication
    with services_of(admin_app).factory() as session:
        actions = list(session.scalars(select(AuditLog.action).where(AuditLog.target == str(report_id))))
    assert actions[-2:] == ["report.publish", "report.withdraw"]


def test_only_handlers_publish(admin_app, client_for) -> None:  # type: ignore[no-untyped-def]
    report_id, _ = a_report(admin_app)
    url = f"/admin/reports/{report_id}/publication"
    for role in ("viewer", "editor"):
        client = client_for(role)
        if role == "viewer":
            page = client.get(f"/admin/reports/{report_id}").text
            assert "非公開" in page and "確認したので公開する" not in page
        refused = client.post(url, data={"csrf_token": csrf_of(client), "description": "x"})
        assert refused.status_code == 403
    assert public_cases(admin_app) == []
    handler = client_for("report_handler")
    missing = handler.post("/admin/reports/999999/publication", data={"csrf_token": csrf_of(handler)})
    assert missing.status_code == 404
