"""The sign-in throttle in the console (bot/admin/auth.py): parallel attempts get no more guesses than the
lock-out allows (on PostgreSQL, as deployed), and the current-password checks of signed-in staff (password change,
turning the second factor on) are throttled the same way; turning it on asks for the password."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.services import services_of
from bot.settings import Settings, load_settings
from bot.storage import accounts
from bot.storage.passwords import PasswordPolicy
from tests.support.admin import CHEAP_PASSWORD_COST, CSRF_FIELD, PASSWORD, create_users, csrf_of, login

PARALLEL = 40


@pytest.fixture
def pg_admin_app(settings: Settings, postgres_url: str) -> Iterator[FastAPI]:
    from bot.app import create_app

    pg_settings = load_settings(
        data_dir=settings.data_dir,
        embedder="hashing",
        env="test",
        secret_key="test-secret-key-not-for-production",
        rasa_port=9,
        actions_port=9,
        database_url=postgres_url,
        **CHEAP_PASSWORD_COST,
    )
    app = create_app(pg_settings)
    with TestClient(app):
        create_users(app)
        yield app


def _actions(app: FastAPI, actor: str) -> list[str]:
    with services_of(app).factory() as session:
        return [a.action for a in accounts.list_audit(session, actor=actor)]


@pytest.mark.postgres
def test_forty_parallel_sign_ins_get_five_guesses_on_postgresql(
    pg_admin_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real_matches = PasswordPolicy.matches
    start = threading.Barrier(PARALLEL)

    def slow_matches(self: PasswordPolicy, stored: str | None, password: str) -> bool:
        checked.append(password)  # one password really checked: one guess
        time.sleep(0.2)  # argon2 at its production cost takes about this long
        return real_matches(self, stored, password)

    monkeypatch.setattr(PasswordPolicy, "matches", slow_matches)

    def attempt(i: int) -> int:
        client = TestClient(pg_admin_app)
        token = CSRF_FIELD.search(client.get("/admin/login").text).group(1)
        data = {"username": "editor", "password": f"guess-number-{i}", "csrf_token": token}
        start.wait()  # all forty at once
        return client.post("/admin/login", data=data, follow_redirects=False).status_code

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        statuses = list(pool.map(attempt, range(PARALLEL)))
    assert len(checked) <= accounts.MAX_FAILURES_PER_ACCOUNT
    assert sorted(statuses) == [401] * len(checked) + [429] * (PARALLEL - len(checked))
    assert statuses.count(401) == accounts.MAX_FAILURES_PER_ACCOUNT


def test_the_current_password_check_of_a_password_change_is_throttled(admin_app, client_for) -> None:
    client = client_for("editor")
    token = csrf_of(client)
    change = {"csrf_token": token, "new": "yuki-kaidan-momiji-84", "confirm": "yuki-kaidan-momiji-84"}
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        wrong = client.post("/admin/account/password", data={**change, "current": "not-my-password"})
        assert wrong.status_code == 400 and "現在のパスワードが違います" in wrong.text
    locked = client.post("/admin/account/password", data={**change, "current": PASSWORD})
    assert locked.status_code == 429 and "15分間" in locked.text  # even the right one is not checked now
    assert login(TestClient(admin_app), "editor").status_code == 429  # the same budget as signing in
    actions = _actions(admin_app, "editor")
    assert actions.count("account.recheck_failed") == accounts.MAX_FAILURES_PER_ACCOUNT
    assert "account.recheck_locked" in actions and "account.password" not in actions


def test_turning_the_second_factor_on_asks_for_the_password_and_is_throttled(admin_app, client_for) -> None:
    client = client_for("viewer")
    page = client.get("/admin/account").text
    secret = page.split('name="secret" value="')[1].split('"')[0]
    on = {"csrf_token": csrf_of(client), "secret": secret, "code": pyotp.TOTP(secret).now()}
    assert client.post("/admin/account/totp", data=on).status_code == 400  # no password: refused
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT - 1):
        assert (
            client.post("/admin/account/totp", data={**on, "current": "not-my-password"}).status_code == 400
        )
    locked = client.post("/admin/account/totp", data={**on, "current": PASSWORD})
    assert locked.status_code == 429 and "15分間" in locked.text
    with services_of(admin_app).factory() as session:
        assert accounts.get_user(session, "viewer").totp_secret is None
