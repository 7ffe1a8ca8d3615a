"""`madoguchi retention run` on a fresh database (what it deletes: tests/privacy/test_retention.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli

runner = CliRunner()


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("MADOGUCHI_RETENTION_MESSAGES_DAYS", "30")


def test_run_prints_the_periods_and_the_counts() -> None:
    result = runner.invoke(cli, ["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "メッセージ 30日" in result.output


def test_run_json_is_the_counts() -> None:
    result = runner.invoke(cli, ["retention", "run", "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts and all(value == 0 for value in counts.values())
