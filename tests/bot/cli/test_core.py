"""`madoguchi seed` and `madoguchi index` (`up` and `train` start Rasa: tests/e2e and tests/bot/run)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from knowledge.kb import FaqEntry
from knowledge.kb_io import write_kb_file

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    kb = tmp_path / "seed.csv"
    write_kb_file(
        [
            FaqEntry(id="cert-001", question="住民票はどこで取れますか", answer="市民課で取れます。"),
            FaqEntry(id="gomi-001", question="粗大ごみの出し方", answer="予約してください。"),
        ],
        kb,
    )
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("MADOGUCHI_KB_SEED_FILE", str(kb))
    monkeypatch.setenv("MADOGUCHI_EMBEDDER", "hashing")
    return tmp_path


def test_seed_only_fills_an_empty_database(env: Path) -> None:
    first = runner.invoke(cli, ["seed"])
    assert first.exit_code == 0, first.output
    assert "seeded 2 FAQ entries" in first.output
    assert "nothing seeded" in runner.invoke(cli, ["seed"]).output


def test_index_builds_at_the_kb_revision(env: Path) -> None:
    runner.invoke(cli, ["seed"])
    result = runner.invoke(cli, ["index"])
    assert result.exit_code == 0, result.output
    assert "index ready at KB revision" in result.output


def test_the_app_lists_every_command() -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("up", "train", "seed", "index", "eval", "kb", "unanswered", "data", "db", "retention"):
        assert name in result.output
