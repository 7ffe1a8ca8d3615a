"""Console page helpers (bot/admin/pages.py): the menu each role sees, error pages, the audit trail helper,
personal-data masking (`Pii`) and CSV downloads Excel opens."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from bot.admin.pages import NAV, TEMPLATES, Pii, audit, csv_response, render_error
from bot.admin.staff import Denied, Staff
from bot.services import services_of
from bot.storage import accounts

NAV_LINK = re.compile(r'<nav class="nav"[^>]*>(.*?)</nav>', re.S)


def staff(role: str) -> Staff:
    return Staff(1, role, f"{role}さん", role, "csrf-token-of-" + role, False, "192.0.2.7")


def request(app: FastAPI, path: str = "/admin/x", query: str = "") -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": query.encode(),
            "headers": [],
            "client": ("192.0.2.7", 50000),
            "server": ("testserver", 80),
            "scheme": "http",
            "app": app,
        }
    )


def _menu(page: str) -> list[str]:
    found = NAV_LINK.search(page)
    return re.findall(r'href="([^"]+)"', found.group(1)) if found else []


@pytest.mark.parametrize(
    ("role", "menu"),
    [
        ("admin", [path for path, _, _ in NAV]),
        ("editor", ["/admin/dashboard", "/admin/faq", "/admin/unanswered", "/admin/surveys"]),
        (
            "viewer",
            ["/admin/dashboard", "/admin/faq", "/admin/unanswered", "/admin/reports", "/admin/surveys"],
        ),
        ("report_handler", ["/admin/dashboard", "/admin/faq", "/admin/reports"]),
    ],
)
def test_each_role_sees_only_the_menu_it_may_use(client_for, role: str, menu: list[str]) -> None:
    page = client_for(role).get("/admin/account").text
    assert _menu(page) == menu
    assert 'content="' in page and f"{role}さん" not in page  # display name defaults to the username
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', page)


def test_signed_out_pages_have_no_menu(admin_app) -> None:  # type: ignore[no-untyped-def]
    page = TestClient(admin_app).get("/admin/login").text
    assert _menu(page) == [] and "ログアウト" not in page


def test_error_pages_are_in_japanese(client_for) -> None:
    editor = client_for("editor")
    missing = editor.get("/admin/faq/no-such-entry")
    assert missing.status_code == 404
    assert "見つかりません" in missing.text and "FAQ「no-such-entry」は見つかりません。" in missing.text
    refused = editor.get("/admin/users")
    assert (
        refused.status_code == 403
        and "アクセスできません" in refused.text
        and "権限がありません" in refused.text
    )
    assert _menu(refused.text) == ["/admin/dashboard", "/admin/faq", "/admin/unanswered", "/admin/surveys"]


def test_render_error_without_staff(admin_app) -> None:  # type: ignore[no-untyped-def]
    page = render_error(request(admin_app), 404, "その表はありません。")
    assert page.status_code == 404
    assert "その表はありません。" in page.body.decode() and _menu(page.body.decode()) == []


def test_audit_records_the_actor_and_address(admin_app) -> None:  # type: ignore[no-untyped-def]
    audit(request(admin_app), staff("editor"), "faq.create", "passport", {"from": "test"})
    audit(request(admin_app), None, "login.page")
    with services_of(admin_app).factory() as session:
        named = accounts.list_audit(session, action="faq.create")[0]
        anonymous = accounts.list_audit(session, action="login.page")[0]
    assert (named.actor, named.target, named.detail, named.ip) == (
        "editor",
        "passport",
        {"from": "test"},
        "192.0.2.7",
    )
    assert (anonymous.actor, anonymous.target) == ("-", "")


def test_pii_is_masked_unless_an_admin_asks(admin_app) -> None:  # type: ignore[no-untyped-def]
    text = "電話 090-1234-5678 まで"
    masked = Pii(request(admin_app), staff("admin"), "reports")
    assert not masked.unmasked and masked(text) == "電話 [電話番号] まで"
    assert masked(None) == "" and masked(12) == "12"
    for role in ("editor", "viewer", "report_handler"):
        with pytest.raises(Denied, match="管理者だけ"):
            Pii(request(admin_app, query="unmask=1"), staff(role), "reports")
    with pytest.raises(Denied):
        Pii(request(admin_app, query="unmask=1"), None, "reports")
    with services_of(admin_app).factory() as session:
        assert accounts.list_audit(session, action="pii.unmask") == []
    shown = Pii(request(admin_app, "/admin/reports", "unmask=1&q=x"), staff("admin"), "reports")
    assert shown.unmasked and shown(text) == text
    with services_of(admin_app).factory() as session:
        record = accounts.list_audit(session, action="pii.unmask")[0]
    assert (record.actor, record.target) == ("admin", "reports")
    assert record.detail == {"path": "/admin/reports", "query": "unmask=1&q=x"}


def test_template_filters() -> None:
    filters = TEMPLATES.env.filters
    assert filters["dt"](datetime(2027, 1, 15, 5, 20, 59)) == "2027-01-15 05:20" and filters["dt"](None) == ""
    assert filters["mask"]("090-1234-5678") == "[電話番号]" and filters["mask"](None) == ""


def test_csv_response_opens_in_excel() -> None:
    response = csv_response("list.csv", ["番号", "内容"], [(1, 'カンマ, と"引用符"'), (2, None)])
    assert response.media_type == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="list.csv"'
    body = response.body.decode("utf-8")
    assert body == '\ufeff番号,内容\r\n1,"カンマ, と""引用符"""\r\n2,\r\n'
