"""`madoguchi admin create-user` and friends."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import load_settings
from bot.storage import accounts
from bot.storage.db import make_engine, session_factory

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def test_create_user_from_stdin(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_ENV", "test")
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["admin", "create-user", "tanaka", "--role", "admin", "--password-stdin"],
        input="a-good-long-password\n",
    )
    assert result.exit_code == 0, result.output
    assert (
        runner.invoke(
            app,
            ["admin", "create-user", "x", "--role", "boss", "--password-stdin"],
            input="a-good-long-password\n",
        ).exit_code
        == 2
    )
    assert (
        runner.invoke(
            app, ["admin", "create-user", "y", "--role", "viewer", "--password-stdin"], input="short\n"
        ).exit_code
        == 2
    )
    again = runner.invoke(
        app,
        ["admin", "create-user", "tanaka", "--role", "viewer", "--password-stdin"],
        input="a-good-long-password\n",
    )
    assert again.exit_code == 1 and "already exists" in again.output
    listed = runner.invoke(app, ["admin", "list-users"])
    assert "tanaka\tadmin" in listed.output
    factory = session_factory(make_engine(f"sqlite:///{(tmp_path / 'var' / 'madoguchi.db').resolve()}"))
    policy = accounts.PasswordPolicy.from_settings(load_settings())
    with factory() as session:
        stored = accounts.get_user(session, "tanaka")
        assert stored is not None and "m=1024,t=1,p=1" in stored.password_hash  # the cost of its Settings
        assert accounts.check_password(session, "tanaka", "a-good-long-password", policy=policy) is not None
        assert accounts.check_password(session, "tanaka", "wrong-password", policy=policy) is None


def test_create_user_refuses_a_common_password(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_ENV", "test")
    refused = CliRunner().invoke(
        app, ["admin", "create-user", "tanaka", "--role", "editor", "--password-stdin"], input="password12\n"
    )
    assert refused.exit_code == 2 and "よく使われている" in refused.output


def test_reset_totp_is_the_recovery_for_a_lost_phone_and_is_audited(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_ENV", "test")
    runner = CliRunner()
    created = runner.invoke(
        app,
        ["admin", "create-user", "tanaka", "--role", "admin", "--password-stdin"],
        input="a-good-long-password\n",
    )
    assert created.exit_code == 0 and "2段階認証" in created.output  # told it enrols at its first sign-in
    assert "tanaka\tadmin totp-pending" in runner.invoke(app, ["admin", "list-users"]).output
    factory = session_factory(make_engine(f"sqlite:///{(tmp_path / 'var' / 'madoguchi.db').resolve()}"))
    with factory.begin() as session:
        user = accounts.get_user(session, "tanaka")
        accounts.set_totp(session, user, "A" * 32, 1000)
        token = accounts.start_session(session, user, "10.0.0.1", "pytest")
    assert "tanaka\tadmin totp\n" in runner.invoke(app, ["admin", "list-users"]).output
    reset = runner.invoke(app, ["admin", "reset-totp", "tanaka"])
    assert reset.exit_code == 0, reset.output
    with factory() as session:
        user = accounts.get_user(session, "tanaka")
        assert user is not None and accounts.must_enrol(user) and user.totp_last_step is None
        assert accounts.load_session(session, token) is None  # signed out wherever it was signed in
        (entry,) = accounts.list_audit(session, action="user.totp_reset")
        assert (entry.actor, entry.target, entry.detail) == ("cli", "tanaka", {"had_totp": True})
    assert runner.invoke(app, ["admin", "reset-totp", "nobody"]).exit_code == 1
