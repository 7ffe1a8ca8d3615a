"""`madoguchi city init | check | load`: a skeleton that checks clean, every problem listed, all-or-nothing load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.storage import citydata, faq_repo
from bot.storage.db import make_engine, migrate, session_factory

KAWABE = Path(__file__).resolve().parents[3] / "tests" / "data" / "cities" / "kawabe"


@pytest.fixture
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_ENV", "test")
    monkeypatch.delenv("MADOGUCHI_CITY_DIR", raising=False)
    return tmp_path / "var"


def _db(var: Path) -> tuple[int, list[str]]:
    url = f"sqlite:///{(var / 'madoguchi.db').resolve()}"
    migrate(url)
    with session_factory(make_engine(url))() as session:
        return citydata.datasets_revision(session), [e.id for e in faq_repo.list_entries(session)]


def test_init_writes_a_skeleton_that_checks_clean(tmp_path: Path) -> None:
    town = tmp_path / "town"
    result = CliRunner().invoke(cli, ["city", "init", str(town), "--name", "ためし村"])
    assert result.exit_code == 0, result.output
    assert "ためし村" in (town / "city" / "city.json").read_text(encoding="utf-8")
    assert "faq.csv" in (town / "README.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["city", "check", str(town)])
    assert result.exit_code == 0, result.output
    # A second init would overwrite the city's work: refused.
    assert CliRunner().invoke(cli, ["city", "init", str(town), "--name", "x"]).exit_code == 1


def test_check_lists_every_problem_with_file_and_row(tmp_path: Path) -> None:
    town = tmp_path / "town"
    shutil.copytree(KAWABE, town)
    with (town / "faq.csv").open("a", encoding="utf-8") as f:
        f.write("K-004,質問だけ,,ごみ,環境係,\n")
    with (town / "city" / "clinics.csv").open("a", encoding="utf-8") as f:
        f.write("2027-13-01,医院,内科,住所,0999-00-0000,9:00-17:00,36.5,138.5\n")
    (town / "city" / "snowplow_areas.csv").unlink()
    with (town / "synonyms.csv").open("a", encoding="utf-8") as f:
        f.write("みどり野,かわべ\n")
    result = CliRunner().invoke(cli, ["city", "check", str(town)])
    assert result.exit_code == 1
    assert "faq.csv 5行目 (row 5)" in result.output and "回答" in result.output
    assert "city/clinics.csv 5行目 (row 5)" in result.output
    assert "city/snowplow_areas.csv ファイル全体 (file)" in result.output and "file missing" in result.output
    assert "注意 (warning) synonyms.csv 3行目" in result.output and "みどり野" in result.output
    assert "3 件のエラー" in result.output


def test_check_reports_a_broken_city_json(tmp_path: Path) -> None:
    town = tmp_path / "town"
    shutil.copytree(KAWABE, town)
    (town / "city" / "city.json").write_text('{"website": ""}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["city", "check", str(town)])
    assert result.exit_code == 1
    assert "city/city.json" in result.output


def test_load_applies_everything_in_one_go(var: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_CITY_DIR", str(KAWABE))
    result = CliRunner().invoke(cli, ["city", "load", str(KAWABE)])
    assert result.exit_code == 0, result.output
    revision, faq_ids = _db(var)
    assert revision > 0 and sorted(faq_ids) == ["K-001", "K-002", "K-003"]
    url = f"sqlite:///{(var / 'madoguchi.db').resolve()}"
    with session_factory(make_engine(url))() as session:
        for kind in citydata.DATASET_KINDS:
            row = citydata.latest_dataset(session, kind)
            assert row is not None and row.files, kind
        garbage = citydata.latest_dataset(session, "garbage")
        assert garbage is not None and "川辺" in garbage.files["area_days.csv"]


def test_load_applies_nothing_on_any_error(
    var: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = tmp_path / "town"
    shutil.copytree(KAWABE, town)
    with (town / "city" / "departments.csv").open("a", encoding="utf-8") as f:
        f.write("税務係,ぜいむがかり,0999-00-2102,役場2階,8:30-25:00,,,,,,,税金\n")
    monkeypatch.setenv("MADOGUCHI_CITY_DIR", str(town))
    result = CliRunner().invoke(cli, ["city", "load", str(town)])
    assert result.exit_code == 1
    assert "city/departments.csv 4行目" in result.output and "nothing loaded" in result.output
    assert _db(var) == (0, [])


def test_load_refuses_a_folder_the_settings_do_not_name(var: Path) -> None:
    result = CliRunner().invoke(cli, ["city", "load", str(KAWABE)])
    assert result.exit_code == 1
    assert "MADOGUCHI_CITY_DIR" in result.output
    assert _db(var) == (0, [])
