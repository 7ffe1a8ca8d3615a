"""The second factor is required for the roles that can see personal data (bot/admin/auth.py, security.py):
enrolment at the first sign-in (QR code, key, confirmed with a code and the password), every other page closed
until then, a code never accepted twice, and no way to turn it off but an admin's audited reset."""

from __future__ import annotations

import pyotp
import pytest
from fastapi.testclient import TestClient

from bot.admin import totp
from bot.services import services_of
from bot.storage import accounts
from tests.support.admin import CSRF_FIELD, PASSWORD, SECRET_FIELD, authenticator_code, csrf_of, enrol, login


def _user(app, username: str) -> accounts.StaffUser:  # type: ignore[no-untyped-def]
    with services_of(app).factory() as session:
        user = accounts.get_user(session, username)
        assert user is not None
        return user


def _audit(app, action: str) -> list[accounts.AuditLog]:  # type: ignore[no-untyped-def]
    with services_of(app).factory() as session:
        return accounts.list_audit(session, action=action)


@pytest.mark.parametrize("role", ["admin", "report_handler"])
def test_the_first_sign_in_of_a_role_that_unmasks_personal_data_opens_the_enrolment(admin_app, role) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(admin_app)
    first = login(client, role)
    assert first.status_code == 303 and first.headers["location"] == "/admin/enrol?next=/admin/"
    for path in ("/admin/", "/admin/reports", "/admin/account", "/admin/reports/export.csv"):
        closed = client.get(path, follow_redirects=False)
        assert closed.status_code == 303 and closed.headers["location"].startswith("/admin/enrol"), path
    page = client.get("/admin/enrol")
    assert page.status_code == 200 and "2段階認証の設定" in page.text
    secret = SECRET_FIELD.search(page.text).group(1)
    assert 'src="data:image/svg+xml' in page.text  # the QR code
    assert totp.grouped(secret) in page.text and f"secret={secret}" in page.text  # the key, the otpauth URI
    assert 'href="/admin/reports"' not in page.text  # no menu yet
    token = csrf_of(client, "/admin/enrol")
    create = {"csrf_token": token, "username": "x", "role": "admin", "password": "yuki-kaidan-momiji-84"}
    posted = client.post("/admin/users", data=create, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"].startswith("/admin/enrol")
    assert _audit(admin_app, "user.create") == []


def test_enrolment_needs_the_password_and_a_right_code(admin_app) -> None:
    client = TestClient(admin_app)
    login(client, "admin")
    page = client.get("/admin/enrol?next=/admin/audit").text
    secret = SECRET_FIELD.search(page).group(1)
    form = {"csrf_token": CSRF_FIELD.search(page).group(1), "secret": secret, "next": "/admin/audit"}
    code = pyotp.TOTP(secret).now()
    no_password = client.post(
        "/admin/account/totp", data={**form, "code": code, "current": "not-my-password"}
    )
    assert no_password.status_code == 400 and "現在のパスワードが違います" in no_password.text
    assert "2段階認証の設定" in no_password.text and f'value="{secret}"' in no_password.text  # the same key
    wrong_code = client.post("/admin/account/totp", data={**form, "code": "12345x", "current": PASSWORD})
    assert wrong_code.status_code == 400 and "確認コードが正しくありません" in wrong_code.text
    forged = client.post(
        "/admin/account/totp", data={**form, "secret": "A" * 16, "code": code, "current": PASSWORD}
    )
    assert forged.status_code == 400 and _user(admin_app, "admin").totp_secret is None
    done = client.post(
        "/admin/account/totp", data={**form, "code": code, "current": PASSWORD}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin/audit"
    assert (
        client.get("/admin/audit").status_code == 200
    )  # the same session goes on, now with its second factor
    assert _user(admin_app, "admin").totp_secret == secret
    (entry,) = _audit(admin_app, "account.totp_on")
    assert (entry.actor, entry.detail) == ("admin", {"enrolment": True})


def test_a_code_is_never_accepted_twice(admin_app, client_for) -> None:
    client_for("report_handler")  # enrolled: the enrolment's code is spent
    spent = _user(admin_app, "report_handler")
    enrolment_code = totp.code_at(spent.totp_secret, spent.totp_last_step)
    assert login(TestClient(admin_app), "report_handler", otp=enrolment_code).status_code == 401
    code = authenticator_code(admin_app, "report_handler")
    assert login(TestClient(admin_app), "report_handler", otp=code).status_code == 303
    assert login(TestClient(admin_app), "report_handler", otp=code).status_code == 401  # seen on a shoulder
    assert login(TestClient(admin_app), "report_handler", otp="").status_code == 401
    assert _user(admin_app, "report_handler").totp_last_step == totp.matching_step(spent.totp_secret, code)


def test_roles_without_personal_data_are_not_made_to_enrol(admin_app) -> None:
    for role in ("editor", "viewer"):
        response = login(TestClient(admin_app), role)
        assert response.status_code == 303 and response.headers["location"] == "/admin/"


def test_the_second_factor_of_these_roles_cannot_be_turned_off(admin_app, client_for) -> None:
    admin = client_for("admin")
    page = admin.get("/admin/account").text
    assert "/admin/account/totp/off" not in page and "解除できません" in page
    off = admin.post("/admin/account/totp/off", data={"csrf_token": csrf_of(admin), "current": PASSWORD})
    assert off.status_code == 403 and _user(admin_app, "admin").totp_secret is not None


def test_an_admins_reset_makes_the_staff_member_enrol_again(admin_app, client_for) -> None:
    admin, handler = client_for("admin"), client_for("report_handler")
    old = _user(admin_app, "report_handler").totp_secret
    reset = admin.post(
        "/admin/users/report_handler", data={"csrf_token": csrf_of(admin), "action": "totp_reset"}
    )
    assert reset.status_code == 200
    assert (
        handler.get("/admin/reports", follow_redirects=False).headers["location"].startswith("/admin/login")
    )
    assert [e.target for e in _audit(admin_app, "user.totp_reset")] == ["report_handler"]
    client = TestClient(admin_app)
    assert login(client, "report_handler").headers["location"].startswith("/admin/enrol")
    assert enrol(client) != old
    assert client.get("/admin/reports").status_code == 200
