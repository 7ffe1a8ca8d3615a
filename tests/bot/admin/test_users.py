"""Staff accounts managed by admins (bot/admin/users.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.admin import csrf_of, login


def test_users_page_creates_and_disables_accounts(admin_app, client_for) -> None:
    admin = client_for("admin")
    token = csrf_of(admin)
    created = admin.post(
        "/admin/users",
        data={"csrf_token": token, "username": "suzuki", "role": "editor", "password": "short"},
    )
    assert created.status_code == 400  # password policy
    created = admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "suzuki",
            "role": "editor",
            "password": "a-long-enough-password",
        },
    )
    assert created.status_code == 200
    assert login(TestClient(admin_app), "suzuki", "a-long-enough-password").status_code == 303
    admin.post("/admin/users/suzuki", data={"csrf_token": token, "action": "disable"})
    assert login(TestClient(admin_app), "suzuki", "a-long-enough-password").status_code == 401


def test_users_page_refuses_common_passwords_and_shows_who_must_enrol(admin_app, client_for) -> None:
    admin = client_for("admin")
    data = {
        "csrf_token": csrf_of(admin),
        "username": "suzuki",
        "role": "report_handler",
        "password": "password12",
    }
    refused = admin.post("/admin/users", data=data)
    assert refused.status_code == 400 and "よく使われているパスワード" in refused.text
    created = admin.post("/admin/users", data={**data, "password": "yuki-kaidan-momiji-84"})
    assert created.status_code == 200 and "2段階未設定" in created.text
