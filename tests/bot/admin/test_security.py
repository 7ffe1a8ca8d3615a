"""Sessions, CSRF and roles on every console route (login and TOTP: test_auth.py; unmask: test_audit.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.services import services_of
from bot.storage.models import FaqRow
from tests.support.admin import csrf_of, login

# Every state-changing or edit route and the roles that may use it. Keep in step with bot/admin/*.
EDIT_ROUTES = [
    ("GET", "/admin/faq/new", {}),
    ("POST", "/admin/faq/new", {"question": "q", "answer": "a"}),
    ("GET", "/admin/faq/juminhyo/edit", {}),
    ("POST", "/admin/faq/juminhyo/edit", {"question": "q", "answer": "a"}),
    ("POST", "/admin/faq/juminhyo/delete", {}),
    ("POST", "/admin/faq/revert/1", {}),
    ("GET", "/admin/faq/io/import", {}),
    ("POST", "/admin/faq/io/import", {"mode": "merge"}),
    ("POST", "/admin/unanswered/dismiss", {"ids": "1"}),
    ("POST", "/admin/unanswered/attach", {"ids": "1", "faq_id": "juminhyo"}),
    ("POST", "/admin/reports/1/status", {"status": "確認中"}),
    ("POST", "/admin/reports/1/photos/" + "a" * 32 + "/review", {}),
    ("GET", "/admin/users", {}),
    ("POST", "/admin/users", {"username": "x", "role": "viewer", "password": "x" * 12}),
    ("POST", "/admin/users/editor", {"action": "disable"}),
    ("GET", "/admin/audit", {}),
    ("GET", "/admin/audit/export.csv", {}),
]


def _send(client: TestClient, method: str, path: str, data: dict, token: str | None):
    if method == "GET":
        return client.get(path, follow_redirects=False)
    body = dict(data)
    if token is not None:
        body["csrf_token"] = token
    return client.post(path, data=body, follow_redirects=False)


def test_login_cookie_is_httponly_and_strict(admin_app) -> None:
    client = TestClient(admin_app)
    response = login(client, "editor")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert (
        "madoguchi_admin=" in cookie
        and "HttpOnly" in cookie
        and "SameSite=strict" in cookie.replace("samesite", "SameSite")
    )
    assert "Path=/admin" in cookie
    assert client.get("/admin/faq").status_code == 200


def test_anonymous_is_sent_to_login(admin_app) -> None:
    client = TestClient(admin_app)
    for path in ("/admin/faq", "/admin/dashboard", "/admin/unanswered", "/admin/faq/juminhyo/edit"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/admin/login?next=")
    assert client.post("/admin/faq/juminhyo/delete", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("method,path,data", [r for r in EDIT_ROUTES if r[0] == "POST"])
def test_posts_without_csrf_token_are_refused(client_for, method, path, data) -> None:
    client = client_for("admin")
    response = _send(client, method, path, data, token=None)
    assert response.status_code == 403, (path, response.status_code)
    assert "CSRF" in response.text
    response = _send(client, method, path, data, token="wrong-token")
    assert response.status_code == 403


def test_csrf_header_is_accepted_and_cross_site_refused(client_for, admin_app) -> None:
    client = client_for("editor")
    token = csrf_of(client)
    ok = client.post("/admin/faq/juminhyo/delete", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert ok.status_code == 303
    with services_of(admin_app).factory() as session:
        assert session.get(FaqRow, "juminhyo") is None
    cross = client.post(
        "/admin/faq/sodai-gomi/delete", headers={"X-CSRF-Token": token, "Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403


@pytest.mark.parametrize("method,path,data", EDIT_ROUTES)
def test_viewer_gets_403_on_every_edit_route(client_for, admin_app, method, path, data) -> None:
    client = client_for("viewer")
    token = csrf_of(client)
    response = _send(client, method, path, data, token)
    assert response.status_code == 403, (method, path, response.status_code)
    with services_of(admin_app).factory() as session:
        assert session.get(FaqRow, "juminhyo") is not None  # nothing was deleted or changed


def test_role_matrix(client_for) -> None:
    editor, handler, viewer = client_for("editor"), client_for("report_handler"), client_for("viewer")
    assert editor.get("/admin/faq/new").status_code == 200
    assert editor.get("/admin/reports", follow_redirects=False).status_code == 403  # editors: FAQ only
    assert editor.get("/admin/audit").status_code == 403
    assert handler.get("/admin/faq/new").status_code == 403
    assert handler.get("/admin/reports").status_code in (200, 404)  # 404 only without the reports concern
    assert (
        viewer.get("/admin/faq").status_code == 200 and viewer.get("/admin/faq/juminhyo").status_code == 200
    )
    assert viewer.get("/admin/dashboard").status_code == 200
    assert "編集する" not in viewer.get("/admin/faq/juminhyo").text
