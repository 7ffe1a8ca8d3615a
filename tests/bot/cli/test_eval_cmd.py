"""`madoguchi eval`: scores a labelled query set and fails below the bars it is given."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from knowledge.kb import FaqEntry
from knowledge.kb_io import write_kb_file

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    kb, queries = tmp_path / "faq.csv", tmp_path / "queries.csv"
    write_kb_file(
        [
            FaqEntry(id="cert-001", question="住民票はどこで取れますか", answer="市民課で取れます。"),
            FaqEntry(id="gomi-001", question="粗大ごみの出し方", answer="予約してください。"),
        ],
        kb,
    )
    queries.write_text(
        "query,expected_id,style\n住民票はどこで取れますか,cert-001,formal\n粗大ごみの出し方,gomi-001,keyword\n",
        encoding="utf-8",
    )
    return ["eval", "--kb", str(kb), "--queries", str(queries), "--embedder", "hashing"]


def test_eval_reports_and_passes_a_reachable_bar(files: list[str]) -> None:
    result = runner.invoke(cli, [*files, "--min-top1", "0.5"])
    assert result.exit_code == 0, result.output


def test_eval_fails_below_the_bar(files: list[str]) -> None:
    result = runner.invoke(cli, [*files, "--min-top1", "1.01"])
    assert result.exit_code == 1
    assert "below the bar" in result.output


def test_a_kb_with_errors_is_exit_2(files: list[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,question,answer,category,department,url\nbroken,,,,,\n", encoding="utf-8")
    files[files.index("--kb") + 1] = str(bad)
    assert runner.invoke(cli, files).exit_code == 2
