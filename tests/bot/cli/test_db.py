"""`madoguchi db status|upgrade`: says where the schema is, brings it to the newest, fails clearly when the
database cannot be reached."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.storage.db import schema_revisions

runner = CliRunner()


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", db_url)
    return db_url


def test_status_upgrade_status(env: str) -> None:
    current, heads = schema_revisions(env)
    assert current == set() and heads

    behind = runner.invoke(cli, ["db", "status"])
    assert behind.exit_code == 1 and "madoguchi db upgrade" in behind.output

    upgraded = runner.invoke(cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "更新しました" in upgraded.output and all(head in upgraded.output for head in heads)
    assert schema_revisions(env) == (heads, heads)

    again = runner.invoke(cli, ["db", "upgrade"])
    assert again.exit_code == 0 and "すでに最新" in again.output

    current_now = runner.invoke(cli, ["db", "status"])
    assert current_now.exit_code == 0 and "最新です" in current_now.output


def test_an_unreachable_database_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", "postgresql://postgres@127.0.0.1:9/nowhere")
    for command in ("status", "upgrade"):
        result = runner.invoke(cli, ["db", command])
        assert result.exit_code == 2
        assert "データベースに接続できません" in result.output and "Traceback" not in result.output
