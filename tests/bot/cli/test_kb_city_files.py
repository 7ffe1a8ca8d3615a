"""`madoguchi kb import` of an FAQ as a city's Excel exports it: one command, nothing to edit first."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from knowledge.kb_io import read_kb_file

runner = CliRunner()
CITY_FILE = Path(__file__).resolve().parents[2] / "data" / "faq" / "excel_export_sjis.csv"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    return tmp_path


def test_an_faq_exported_from_excel_imports_in_one_command(env: Path) -> None:
    """Japanese headers, Q-001 ids, empty URLs, <br> and links in answers, 2022/2/28 dates, CP932."""
    imported = runner.invoke(cli, ["kb", "import", str(CITY_FILE)])
    assert imported.exit_code == 0, imported.output
    assert "created 5" in imported.output
    assert "注意 5 件 (warnings" in imported.output
    assert "4行目 (row 4) 回答(answer): HTML を文字に直しました" in imported.output
    assert "1行目 (row 1) 備考: 列「備考」は取り込みません" in imported.output

    out = env / "out.csv"
    assert runner.invoke(cli, ["kb", "export", str(out)]).exit_code == 0
    entries = {e.id: e for e in read_kb_file(out).entries}
    assert sorted(entries) == ["Q-001", "Q-002", "Q-003", "Q-004", "Q-005"]
    assert entries["Q-001"].answer.count("\n") == 2 and "<br" not in entries["Q-001"].answer
    assert entries["Q-003"].url == "" and "(https://www.city.sakuragaoka.example/gomi/sodai.html)" in (
        entries["Q-003"].answer
    )
    again = runner.invoke(cli, ["kb", "import", str(out)])  # the export reads back with no warning at all
    assert again.exit_code == 0 and "unchanged 5" in again.output and "注意" not in again.output


def test_errors_say_where_and_what_to_do_in_both_languages(env: Path) -> None:
    bad = env / "bad.csv"
    bad.write_bytes("番号,質問,回答,掲載開始日\r\nQ/001,質問,回答,2022/2/30\r\n".encode("cp932"))
    result = runner.invoke(cli, ["kb", "import", str(bad)])
    assert result.exit_code == 1
    assert "2 件の誤りがあるため取り込みませんでした (nothing imported)" in result.output
    assert "2行目 (row 2) 番号(id): ID「Q/001」に「/」「\\」は使えません" in result.output
    assert "use '-' instead" in result.output
    assert "2行目 (row 2) 掲載開始日(valid_from): 日付「2022/2/30」は読めません" in result.output
    assert "write it as 2024-04-01 or 2024/4/1" in result.output
