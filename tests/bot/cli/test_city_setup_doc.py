"""docs/city-setup.md: the commands it shows, run in order on a temporary folder, take a city from nothing to
loaded."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.storage import faq_repo
from bot.storage.db import make_engine, session_factory

DOC = Path(__file__).resolve().parents[3] / "docs" / "city-setup.md"


def _commands() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- city-setup-commands.*?-->\n```sh\n(.*?)```", text, re.S)
    assert block, "the command block of docs/city-setup.md"
    return [line.split("  #")[0].strip() for line in block[1].splitlines() if line.strip()]


def test_the_documented_commands_take_a_city_from_nothing_to_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_ENV", "test")
    monkeypatch.delenv("MADOGUCHI_CITY_DIR", raising=False)
    ran = []
    for command in _commands():
        if command.startswith("echo "):  # the .env line: what it says, as the environment
            name, value = re.findall(r'"(\w+)=\$PWD/(.+)"', command)[0]
            monkeypatch.setenv(name, str(tmp_path / value))
            continue
        words = shlex.split(command)
        assert words[:2] == ["madoguchi", "city"], command
        result = CliRunner().invoke(cli, words[1:])
        assert result.exit_code == 0, f"{command}\n{result.output}"
        ran.append(words[2])
    assert ran == ["init", "check", "load"]
    url = f"sqlite:///{(tmp_path / 'var' / 'madoguchi.db').resolve()}"
    with session_factory(make_engine(url))() as session:
        assert [e.id for e in faq_repo.list_entries(session)] == ["cert-001"]
