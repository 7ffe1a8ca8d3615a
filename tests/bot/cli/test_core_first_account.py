"""The way into the console: `madoguchi seed` (run by `make demo`) names the command that creates the first
account while there is none, and the README's console section shows commands that work as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.cli.core import FIRST_ACCOUNT
from bot.settings import load_settings
from bot.storage import accounts
from bot.storage.db import make_engine, session_factory
from knowledge.kb import FaqEntry
from knowledge.kb_io import write_kb_file

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")
runner = CliRunner()
README = Path(__file__).resolve().parents[3] / "README.md"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    kb = tmp_path / "seed.csv"
    write_kb_file(
        [FaqEntry(id="cert-001", question="住民票はどこで取れますか", answer="市民課で取れます。")], kb
    )
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("MADOGUCHI_KB_SEED_FILE", str(kb))
    monkeypatch.setenv("MADOGUCHI_ENV", "test")
    return tmp_path


def _console_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## The staff console", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the README's console section shows its commands in a bash block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def _usernames() -> list[str]:
    engine = make_engine(load_settings().db_url)
    try:
        with session_factory(engine)() as session:
            return [user.username for user in accounts.list_users(session)]
    finally:
        engine.dispose()


def test_seed_says_how_to_create_the_first_account_until_there_is_one(env: Path) -> None:
    first = runner.invoke(cli, ["seed"])
    assert first.exit_code == 0, first.output
    assert "http://127.0.0.1:8000/admin" in first.output and FIRST_ACCOUNT in first.output
    assert FIRST_ACCOUNT in README.read_text(encoding="utf-8")
    command = shlex.split(FIRST_ACCOUNT.replace("NAME", "tanaka"))[1:] + ["--password-stdin"]
    created = runner.invoke(cli, command, input="correct-horse-battery\n")
    assert created.exit_code == 0, created.output
    assert FIRST_ACCOUNT not in runner.invoke(cli, ["seed"]).output


def test_the_readme_console_commands_work_as_written(env: Path) -> None:
    interactive, scripted = _console_commands()
    argv = shlex.split(interactive.replace("NAME", "sato"))
    assert argv[0] == ".venv/bin/madoguchi"
    asked = runner.invoke(cli, argv[1:], input="correct-horse-battery\ncorrect-horse-battery\n")
    assert asked.exit_code == 0, asked.output
    echo, madoguchi = scripted.split(" | ")
    password = shlex.split(echo)[1]
    argv = shlex.split(madoguchi.replace("NAME", "suzuki"))
    piped = runner.invoke(cli, argv[1:], input=password + "\n")
    assert piped.exit_code == 0, piped.output
    assert sorted(_usernames()) == ["sato", "suzuki"]
