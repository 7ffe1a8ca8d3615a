"""`open_context`: a command's settings and a migrated database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.cli.context import open_context


def test_open_context_migrates_and_makes_the_data_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    ctx = open_context()
    assert ctx.settings.data_dir == tmp_path / "var" and ctx.settings.data_dir.is_dir()
    with ctx.factory() as session:
        assert {"faq_entries", "messages"} <= set(inspect(session.get_bind()).get_table_names())
