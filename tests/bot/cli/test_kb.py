"""`madoguchi kb import|export` and `madoguchi unanswered list` against a fresh SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.settings import load_settings
from bot.storage import conversations
from bot.storage.db import make_engine, session_factory, transaction
from knowledge.kb import FaqEntry
from knowledge.kb_io import read_kb_file, write_kb_file

runner = CliRunner()
ENTRIES = [
    FaqEntry(id="cert-001", question="住民票はどこで取れますか", answer="市民課の窓口で取れます。"),
    FaqEntry(id="tax-001", question="住民税の納め方", answer="納付書で納めます。", category="税"),
]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    return tmp_path


def test_import_then_export_round_trips(env: Path) -> None:
    source = env / "faq.csv"
    write_kb_file(ENTRIES, source)
    imported = runner.invoke(cli, ["kb", "import", str(source)])
    assert imported.exit_code == 0, imported.output
    assert "created 2" in imported.output
    again = runner.invoke(cli, ["kb", "import", str(source)])
    assert "unchanged 2" in again.output

    out = env / "out.csv"
    exported = runner.invoke(cli, ["kb", "export", str(out)])
    assert exported.exit_code == 0 and "exported 2 entries" in exported.output
    assert sorted(e.id for e in read_kb_file(out).entries) == ["cert-001", "tax-001"]


def test_a_file_with_an_error_imports_nothing(env: Path) -> None:
    bad = env / "bad.csv"
    bad.write_text(
        "id,question,answer,category,department,url\ncert-001,住民票,取れます,,,\nbroken,,,,,\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["kb", "import", str(bad)])
    assert result.exit_code == 1 and "row 3" in result.output
    out = env / "out.csv"
    runner.invoke(cli, ["kb", "export", str(out)])
    assert read_kb_file(out).entries == []


def test_unanswered_list(env: Path) -> None:
    assert runner.invoke(cli, ["unanswered", "list"]).output.strip().endswith("0件")
    settings = load_settings()
    engine = make_engine(settings.db_url)
    with transaction(session_factory(engine)) as session:
        conversations.log_unanswered(
            session,
            text="犬の登録は？",
            channel="web",
            sender="web-key",
            reason="low score",
            candidates=[{"faq_id": "pet-001", "score": 0.31}],
        )
    engine.dispose()
    listed = runner.invoke(cli, ["unanswered", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    [item] = json.loads(listed.output)
    assert (item["text"], item["channel"], item["candidates"][0]["faq_id"]) == (
        "犬の登録は？",
        "web",
        "pet-001",
    )
    assert "pet-001(0.31)" in runner.invoke(cli, ["unanswered", "list"]).output
