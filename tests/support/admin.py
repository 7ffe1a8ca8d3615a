"""Admin console fixtures: an in-process gateway, staff accounts of every role, logged-in clients.

Staff sign in as they would: the password, and for the roles that need a second factor (`accounts.TOTP_ROLES`)
the enrolment at the first sign-in (`enrol`: the key read from the enrolment page, as a phone would scan it) and
then the authenticator app's code at each sign-in (`authenticator_code`). No switch in the product skips any of it.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.admin import totp
from bot.services import services_of
from bot.settings import Settings, load_settings
from bot.storage import accounts, faq_repo
from bot.storage.db import migrate, transaction
from knowledge.kb import FaqEntry

PASSWORD = "correct-horse-battery"
# argon2 with its default cost takes ~1 s per hash on a busy CI core; tests do not need that
CHEAP_PASSWORD_COST = {"password_time_cost": 1, "password_memory_kib": 1024, "password_parallelism": 1}
ROLES = ("admin", "editor", "viewer", "report_handler")
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')
SECRET_FIELD = re.compile(r'name="secret" value="([A-Z2-7]+)"')

SEED = [
    FaqEntry(
        id="juminhyo",
        question="住民票の写しはどこで取れますか",
        answer="市民課の窓口かコンビニで取れます。",
        category="証明書",
        department="市民課",
        url="https://www.city.midorino.example/juminhyo",
        alt_questions=["住民票がほしい"],
    ),
    FaqEntry(
        id="sodai-gomi",
        question="粗大ごみの出し方を教えてください",
        answer="粗大ごみ受付センターに申し込んでください。",
        category="ごみ",
        department="環境課",
    ),
    FaqEntry(
        id="inu-toroku",
        question="犬を飼い始めたら登録が必要ですか",
        answer="生後91日以上の犬は登録が必要です。",
        category="動物",
        department="環境課",
    ),
]


def create_users(app: FastAPI) -> None:
    with transaction(services_of(app).factory) as session:
        for role in ROLES:
            accounts.create_user(session, role, PASSWORD, role, policy=services_of(app).passwords)
        faq_repo.seed_if_empty(session, SEED)


def authenticator_code(app: FastAPI, username: str) -> str | None:
    """The code the staff member's authenticator app shows for the next sign-in (None: the account has no second
    factor). A code is accepted once only and only in its own 30-second step or the next, so after two sign-ins in
    one step this waits for the next step."""
    with services_of(app).factory() as session:
        user = accounts.get_user(session, username)
        if user is None or not user.totp_secret:
            return None
        secret, last = user.totp_secret, user.totp_last_step
    step = max(totp.current_step(), (last or 0) + 1)
    while step > totp.current_step() + totp.DRIFT_STEPS:
        time.sleep(0.25)
    return totp.code_at(secret, step)


def login(client: Any, username: str, password: str = PASSWORD, otp: str | None = None) -> Any:
    """Post the login form. `otp` None: the authenticator app's code when the account has a second factor (and
    the client is a TestClient of the app), else nothing."""
    if otp is None:
        app = getattr(client, "app", None)
        otp = (authenticator_code(app, username) if isinstance(app, FastAPI) else None) or ""
    page = client.get("/admin/login")
    token = CSRF_FIELD.search(page.text).group(1)
    return client.post(
        "/admin/login",
        data={"username": username, "password": password, "otp": otp, "csrf_token": token},
        follow_redirects=False,
    )


def enrol(client: Any, password: str = PASSWORD) -> str:
    """Enrol the second factor of the signed-in client as staff do at their first sign-in: read the key from the
    enrolment page, confirm it with the app's current code and the password. Returns the key."""
    page = client.get("/admin/enrol", follow_redirects=False)
    assert page.status_code == 200, page.text[:300]
    secret = SECRET_FIELD.search(page.text).group(1)
    data = {
        "csrf_token": CSRF_FIELD.search(page.text).group(1),
        "secret": secret,
        "code": pyotp.TOTP(secret).now(),
        "current": password,
    }
    done = client.post("/admin/account/totp", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text[:500]
    return secret


def sign_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    """Sign in as the staff member would: password and code, enrolling the second factor at the first sign-in
    when the role needs one. Returns the login form's answer."""
    response = login(client, username, password)
    if response.status_code == 303 and response.headers["location"].startswith("/admin/enrol"):
        enrol(client, password)
    return response


def csrf_of(client: TestClient, path: str = "/admin/account") -> str:
    return CSRF_META.search(client.get(path).text).group(1)


@pytest.fixture
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read during the test (the CLI's, `admin_settings`) hash staff passwords at the cheap cost."""
    for name, value in CHEAP_PASSWORD_COST.items():
        monkeypatch.setenv(f"MADOGUCHI_{name.upper()}", str(value))


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per test session; each test gets a copy (migrating takes seconds)."""
    path = tmp_path_factory.mktemp("admin-template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def admin_settings(settings: Settings, migrated_template: Path, tmp_path: Path) -> Settings:
    target = tmp_path / "admin.db"
    shutil.copyfile(migrated_template, target)
    return load_settings(
        data_dir=settings.data_dir,
        embedder="hashing",
        env="test",
        secret_key="test-secret-key-not-for-production",
        rasa_port=9,
        actions_port=9,
        database_url=f"sqlite:///{target}",
        **CHEAP_PASSWORD_COST,
    )


@pytest.fixture
def admin_app(admin_settings: Settings) -> Iterator[FastAPI]:
    from bot.app import create_app

    app = create_app(admin_settings)
    with TestClient(app):
        create_users(app)
        yield app


@pytest.fixture
def client_for(admin_app: FastAPI) -> Callable[[str], TestClient]:
    """A TestClient signed in as the account named like the role (enrolled in TOTP where the role needs it)."""

    def make(role: str) -> TestClient:
        client = TestClient(admin_app)
        response = sign_in(client, role)
        assert response.status_code == 303, response.text
        client.headers["X-Test-Role"] = role
        return client

    return make
