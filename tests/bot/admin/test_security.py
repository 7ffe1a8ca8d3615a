"""Sessions, CSRF, roles, brute-force lockout, TOTP and the audited unmask."""

from __future__ import annotations

import pyotp
import pytest
from fastapi.testclient import TestClient

from bot.services import services_of
from bot.storage import accounts
from bot.storage.db import transaction
from bot.storage.models import FaqRow
from tests.support.admin import CSRF_FIELD, PASSWORD, csrf_of, login

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


def test_login_needs_its_csrf_token(admin_app) -> None:
    client = TestClient(admin_app)
    client.get("/admin/login")
    response = client.post(
        "/admin/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert "madoguchi_admin" not in client.cookies


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


def test_brute_force_locks_the_account(admin_app) -> None:
    client = TestClient(admin_app)
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        assert login(client, "editor", "wrong-password!").status_code == 401
    locked = login(client, "editor")  # even the right password is refused now
    assert locked.status_code == 429 and "15分" in locked.text
    assert login(client, "viewer").status_code == 303  # other accounts still work
    with transaction(services_of(admin_app).factory) as session:
        assert accounts.is_locked(session, "editor", "elsewhere")
        later = accounts.utcnow() + accounts.LOCK_WINDOW
        assert not accounts.is_locked(session, "editor", "elsewhere", now=later)
        actions = [a.action for a in accounts.list_audit(session, actor="editor")]
    assert "login.locked" in actions and actions.count("login.failed") == accounts.MAX_FAILURES_PER_ACCOUNT


def test_brute_force_locks_the_address(admin_app) -> None:
    client = TestClient(admin_app)
    for i in range(accounts.MAX_FAILURES_PER_IP):
        assert login(client, f"guess{i}", "nope-nope-nope").status_code == 401
    assert login(client, "admin").status_code == 429


def test_unknown_user_and_wrong_password_look_the_same(admin_app) -> None:
    client = TestClient(admin_app)
    a, b = login(client, "nobody", "whatever-123"), login(client, "admin", "whatever-123")
    assert a.status_code == b.status_code == 401
    assert "正しくありません" in a.text and "正しくありません" in b.text


def test_totp_second_factor(admin_app, client_for) -> None:
    client = client_for("editor")
    page = client.get("/admin/account").text
    secret = page.split('name="secret" value="')[1].split('"')[0]
    token = CSRF_FIELD.search(page).group(1)
    bad = client.post("/admin/account/totp", data={"csrf_token": token, "secret": secret, "code": "000000"})
    assert bad.status_code == 400
    good = client.post(
        "/admin/account/totp", data={"csrf_token": token, "secret": secret, "code": pyotp.TOTP(secret).now()}
    )
    assert good.status_code == 200 and "有効" in good.text
    fresh = TestClient(admin_app)
    assert login(fresh, "editor").status_code == 401  # password alone is no longer enough
    assert login(fresh, "editor", otp="123456").status_code == 401
    assert login(fresh, "editor", otp=pyotp.TOTP(secret).now()).status_code == 303


def test_logout_ends_the_session(client_for) -> None:
    client = client_for("viewer")
    token = csrf_of(client)
    assert client.post("/admin/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/admin/faq", follow_redirects=False).status_code == 303


def test_unmask_is_admin_only_and_audited(admin_app, client_for) -> None:
    with transaction(services_of(admin_app).factory) as session:
        accounts.audit(
            session, "someone", "test.pii", "電話 090-1234-5678", {"note": "0312345678"}, "1.2.3.4"
        )
    admin = client_for("admin")
    masked = admin.get("/admin/audit?action=test.").text
    assert "090-1234-5678" not in masked and "[電話番号]" in masked
    shown = admin.get("/admin/audit?action=test.&unmask=1").text
    assert "090-1234-5678" in shown
    with services_of(admin_app).factory() as session:
        assert [a.actor for a in accounts.list_audit(session, action="pii.unmask")] == ["admin"]
    assert client_for("viewer").get("/admin/audit?unmask=1").status_code == 403
