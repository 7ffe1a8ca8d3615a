"""`madoguchi reports export|notify|replay-spool`: city-date exports, the resend of pending LINE pushes, and
filing the spool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.reports.spool import spool_draft
from bot.settings import load_settings
from bot.storage.db import make_engine, migrate, session_factory
from tests.support.reports import draft, submit


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_ENV", "test")
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    return tmp_path / "var"


def test_export_writes_the_city_days(data_dir: Path, tmp_path: Path) -> None:
    settings = load_settings(data_dir=data_dir, env="test")
    settings.ensure_dirs()
    migrate(settings.db_url)
    engine = make_engine(settings.db_url)
    submit(session_factory(engine), draft(where=None))  # 2025-06-01 12:00 in Japan
    engine.dispose()
    runner = CliRunner()
    out = tmp_path / "reports.csv"
    result = runner.invoke(app, ["reports", "export", str(out), "--from", "2025-06-01", "--to", "2025-06-01"])
    assert result.exit_code == 0, result.output
    assert "exported 1 reports" in result.output and out.read_bytes().startswith(b"\xef\xbb\xbf")
    geo = tmp_path / "reports.geojson"
    result = runner.invoke(
        app,
        ["reports", "export", str(geo), "--from", "2025-06-02", "--to", "2025-06-30", "--format", "geojson"],
    )
    assert result.exit_code == 0 and json.loads(geo.read_text(encoding="utf-8"))["features"] == []
    backwards = ["reports", "export", str(out), "--from", "2025-06-02", "--to", "2025-06-01"]
    assert runner.invoke(app, backwards).exit_code == 2
    assert (
        runner.invoke(app, ["reports", "export", str(out), "--from", "6/1", "--to", "2025-06-01"]).exit_code
        == 2
    )


def test_notify_and_replay_spool(data_dir: Path) -> None:
    runner = CliRunner()
    notified = runner.invoke(app, ["reports", "notify"])
    assert notified.exit_code == 0 and "sent 0 pending notifications" in notified.output
    spool_draft(data_dir / "spool" / "reports", draft(where=None, description="DB 障害中"))
    filed = runner.invoke(app, ["reports", "replay-spool"])
    assert filed.exit_code == 0, filed.output
    assert "filed 1 spooled reports" in filed.output and '"R-' in filed.output
