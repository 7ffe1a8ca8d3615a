"""Login (password, TOTP, lockout), logout and the staff member's own account page (bot/admin/auth.py). The
second factor's enrolment: test_auth_totp.py; the throttle under parallel attempts: test_auth_throttle.py."""

from __future__ import annotations

import pyotp
import pytest
from fastapi.testclient import TestClient

from bot.admin.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from bot.services import services_of
from bot.storage import accounts, signin
from bot.storage.db import transaction
from tests.support.admin import CSRF_FIELD, PASSWORD, csrf_of, login

NEW_PASSWORD = "another-horse-staple"


def _actions(app, actor: str) -> list[str]:  # type: ignore[no-untyped-def]
    with services_of(app).factory() as session:
        return [a.action for a in accounts.list_audit(session, actor=actor)]


def _login_next(client: TestClient, target: str):  # type: ignore[no-untyped-def]
    token = CSRF_FIELD.search(client.get("/admin/login").text).group(1)
    data = {"username": "viewer", "password": PASSWORD, "csrf_token": token, "next": target}
    return client.post("/admin/login", data=data, follow_redirects=False)


@pytest.mark.parametrize(
    ("role", "start"),
    [("report_handler", "/admin/reports"), ("editor", "/admin/dashboard"), ("admin", "/admin/dashboard")],
)
def test_home_sends_each_role_to_its_start_page(client_for, role: str, start: str) -> None:
    response = client_for(role).get("/admin/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == start


def test_home_sends_strangers_to_the_login_page(admin_app) -> None:
    response = TestClient(admin_app).get("/admin/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/login"


def test_login_starts_an_audited_session(admin_app) -> None:
    client = TestClient(admin_app)
    page = client.get("/admin/login?next=/admin/faq")
    assert page.status_code == 200 and LOGIN_CSRF_COOKIE in client.cookies
    assert 'value="/admin/faq"' in page.text  # the page carries where to go next
    response = login(client, "editor")
    assert response.status_code == 303 and SESSION_COOKIE in client.cookies
    assert LOGIN_CSRF_COOKIE not in client.cookies  # the login form's token is spent
    assert client.get("/admin/faq").status_code == 200
    with services_of(admin_app).factory() as session:
        entry = accounts.list_audit(session, actor="editor", action="login")[0]
    assert (entry.action, entry.target, entry.detail) == ("login", "editor", {"totp": False})


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/admin/faq?category=gomi", "/admin/faq?category=gomi"),
        ("https://evil.example/admin", "/admin/"),
        ("//evil.example/admin", "/admin/"),
        ("/admin\\..\\evil", "/admin/"),
        ("/elsewhere", "/admin/"),
    ],
)
def test_login_only_follows_console_paths(admin_app, target: str, location: str) -> None:
    response = _login_next(TestClient(admin_app), target)
    assert response.status_code == 303 and response.headers["location"] == location


def test_login_needs_its_csrf_token(admin_app) -> None:
    client = TestClient(admin_app)
    client.get("/admin/login")
    response = client.post(
        "/admin/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert "madoguchi_admin" not in client.cookies


def test_brute_force_locks_the_account(admin_app) -> None:
    client = TestClient(admin_app)
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        assert login(client, "editor", "wrong-password!").status_code == 401
    locked = login(client, "editor")  # even the right password is refused now
    assert locked.status_code == 429 and "15分" in locked.text
    assert login(client, "viewer").status_code == 303  # other accounts still work
    with transaction(services_of(admin_app).factory) as session:
        assert signin.is_locked(session, "editor", "elsewhere")
        later = accounts.utcnow() + accounts.LOCK_WINDOW
        assert not signin.is_locked(session, "editor", "elsewhere", now=later)
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
    client = client_for("editor")  # a role free to choose one
    page = client.get("/admin/account").text
    secret = page.split('name="secret" value="')[1].split('"')[0]
    token = CSRF_FIELD.search(page).group(1)
    on = {"csrf_token": token, "secret": secret, "current": PASSWORD}
    bad = client.post("/admin/account/totp", data={**on, "code": "000000"})
    assert bad.status_code == 400 and f'value="{secret}"' in bad.text  # the key just scanned is offered again
    code = pyotp.TOTP(secret).now()
    good = client.post("/admin/account/totp", data={**on, "code": code})
    assert good.status_code == 200 and "有効" in good.text
    fresh = TestClient(admin_app)
    assert login(fresh, "editor", otp="").status_code == 401  # password alone is no longer enough
    assert login(fresh, "editor", otp="123456" if code != "123456" else "654321").status_code == 401
    assert login(fresh, "editor", otp=code).status_code == 401  # the enrolment's code is spent
    assert login(fresh, "editor").status_code == 303  # the app's next code


def test_totp_is_turned_off_with_the_password(admin_app, client_for) -> None:
    client = client_for("viewer")
    token = csrf_of(client)
    secret = pyotp.random_base32()
    on = {"csrf_token": token, "secret": secret, "code": pyotp.TOTP(secret).now(), "current": PASSWORD}
    assert client.post("/admin/account/totp", data=on).status_code == 200
    wrong = client.post("/admin/account/totp/off", data={"csrf_token": token, "current": "not-my-password"})
    assert wrong.status_code == 400 and "パスワードが違います" in wrong.text
    off = client.post("/admin/account/totp/off", data={"csrf_token": token, "current": PASSWORD})
    assert off.status_code == 200 and "解除しました" in off.text
    assert (
        login(TestClient(admin_app), "viewer", otp="").status_code == 303
    )  # the password alone is enough again
    assert _actions(admin_app, "viewer").count("account.totp_on") == 1
    assert "account.totp_off" in _actions(admin_app, "viewer")


def test_the_account_page_offers_a_fresh_totp_secret(client_for) -> None:
    client = client_for("viewer")
    first, second = client.get("/admin/account").text, client.get("/admin/account").text
    secret = first.split('name="secret" value="')[1].split('"')[0]
    assert secret not in second  # a new secret on every visit
    assert f"otpauth://totp/madoguchi:viewer?secret={secret}" in first and "issuer=madoguchi" in first


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("not-my-password", NEW_PASSWORD, NEW_PASSWORD, "現在のパスワードが違います"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "確認用のパスワードが一致しません"),
        (PASSWORD, "short", "short", "10文字以上"),
        (PASSWORD, "abababababab", "abababababab", "同じ文字の繰り返し"),
        (PASSWORD, "password12", "password12", "よく使われているパスワード"),
        (PASSWORD, "1234567890", "1234567890", "よく使われているパスワード"),
    ],
)
def test_a_refused_password_change_changes_nothing(
    admin_app, client_for, current: str, new: str, confirm: str, message: str
) -> None:
    client = client_for("editor")
    data = {"csrf_token": csrf_of(client), "current": current, "new": new, "confirm": confirm}
    response = client.post("/admin/account/password", data=data)
    assert response.status_code == 400 and message in response.text
    assert client.get("/admin/faq", follow_redirects=False).status_code == 200  # still signed in
    assert login(TestClient(admin_app), "editor").status_code == 303
    assert "account.password" not in _actions(admin_app, "editor")


def test_a_password_change_signs_out_everywhere(admin_app, client_for) -> None:
    client, elsewhere = client_for("editor"), client_for("editor")
    data = {"csrf_token": csrf_of(client), "current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = client.post("/admin/account/password", data=data, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/login"
    for signed_in in (client, elsewhere):  # every session of the account ended
        assert signed_in.get("/admin/faq", follow_redirects=False).status_code == 303
    assert login(TestClient(admin_app), "editor").status_code == 401
    assert login(TestClient(admin_app), "editor", NEW_PASSWORD).status_code == 303
    assert "account.password" in _actions(admin_app, "editor")


def test_logout_ends_the_session(client_for) -> None:
    client = client_for("viewer")
    token = csrf_of(client)
    assert client.post("/admin/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/admin/faq", follow_redirects=False).status_code == 303
