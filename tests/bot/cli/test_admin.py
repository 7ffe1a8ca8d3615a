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
