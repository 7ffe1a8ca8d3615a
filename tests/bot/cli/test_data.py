"""`madoguchi data import-…`: validate everything, apply nothing on error, live after import."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.live_citydata import CityDataStore
from bot.storage import citydata
from bot.storage.db import make_engine, migrate, session_factory

DEMO = Path(__file__).resolve().parents[3] / "knowledge" / "data" / "city"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_CITY_DATA_DIR", str(DEMO))
    monkeypatch.setenv("MADOGUCHI_ENV", "test")
    return tmp_path


def _revision(tmp: Path) -> int:
    url = f"sqlite:///{(tmp / 'var' / 'madoguchi.db').resolve()}"
    migrate(url)  # a refused import may not even have created the database
    factory = session_factory(make_engine(url))
    with factory() as session:
        return citydata.datasets_revision(session)


def test_import_garbage_all_or_nothing(env: Path) -> None:
    bad = env / "garbage"
    shutil.copytree(DEMO, bad)
    rows = (bad / "area_days.csv").read_text(encoding="utf-8").splitlines()
    rows[2] = rows[2].replace("月 木", "月 木x")
    rows.append("新地区,無いセンター,月,,,,,,,")
    (bad / "area_days.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["data", "import-garbage", str(bad)])
    assert result.exit_code == 1
    assert "area_days.csv 行3" in result.output and "area_days.csv 行10" in result.output
    assert _revision(env) == 0

    good = env / "good"
    shutil.copytree(DEMO, good)
    result = CliRunner().invoke(cli, ["data", "import-garbage", str(good)])
    assert result.exit_code == 0, result.output
    assert "8 areas" in result.output and _revision(env) == 1


def test_imported_roster_is_live(env: Path) -> None:
    roster = env / "clinics.csv"
    roster.write_bytes(
        "date,name,specialty,address,phone,hours,lat,lon\n2026-09-20,テスト医院,内科,本町,000-0000-9999,9:00-17:00,,\n".encode(
            "cp932"
        )
    )
    result = CliRunner().invoke(cli, ["data", "import-clinics", str(roster)])
    assert result.exit_code == 0, result.output
    factory = session_factory(make_engine(f"sqlite:///{(env / 'var' / 'madoguchi.db').resolve()}"))
    store = CityDataStore(factory, DEMO)
    assert [c.name for c in store.get().clinics.on(datetime(2026, 9, 20).date())] == ["テスト医院"]
    assert len(store.get().garbage.areas()) == 8  # other kinds still from the shipped files


@pytest.mark.parametrize(
    ("command", "text", "row"),
    [("import-departments", "name,reading,phone,floor,mon,tue,wed,thu,fri,sat,sun,topics\nA課,,0,,8:30,,,,,,,\n", 2),
     ("import-snowplow-areas", "area,aliases,lat,lon,radius_m,polygon,route_ids\nA,,39.7,140.1,,,\n", 2),
     ("import-clinics", "date,name,specialty,address,phone,hours,lat,lon\n2026-02-30,A,内科,x,0,9:00-17:00,,\n", 2)],
)  # fmt: skip
def test_bad_single_files_are_refused(env: Path, command: str, text: str, row: int) -> None:
    path = env / "bad.csv"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["data", command, str(path)])
    assert result.exit_code == 1 and f"行{row}" in result.output
    assert _revision(env) == 0


REAL_CITIES = Path(__file__).resolve().parents[2] / "data" / "garbage5374"


def test_real_cities_import_unchanged_or_are_refused_with_rows(env: Path) -> None:
    """Published 5374 folders as they are (tests/data/garbage5374): what was read in a way the files do not say
    plainly is said, genuine errors are refused with their rows and nothing of them is applied."""
    imported = 0
    for name, counts in [("saga", "314 areas, 4 categories, 270 items"), ("kyotango", "169 areas, 7 categories"),
                         ("takamatsu", "35 areas, 5 categories, 147 items")]:  # fmt: skip
        result = CliRunner().invoke(cli, ["data", "import-garbage", str(REAL_CITIES / name)])
        assert result.exit_code == 0, result.output
        imported += 1
        assert counts in result.output and _revision(env) == imported
    assert "列名 label は type として読みます" in result.output  # takamatsu, the last one
    assert "target.csv 行2: 1行目と同じ見出しの行のため読み飛ばします" in result.output

    result = CliRunner().invoke(cli, ["data", "import-garbage", str(REAL_CITIES / "hachioji")])
    assert result.exit_code == 1 and "13 件の誤りがあるため取り込みませんでした" in result.output
    assert (
        "area_days.csv 行6: 泉町 / かん: 起点日 2015/01/14 は水曜日で、火曜日ではありません。"
        in result.output
    )
    assert "1 件の注意" in result.output and "target.csv 行174" in result.output
    assert _revision(env) == imported


def test_area_master_is_imported_with_the_areas(env: Path) -> None:
    result = CliRunner().invoke(cli, ["data", "import-garbage", str(REAL_CITIES / "saga")])
    assert result.exit_code == 0, result.output
    factory = session_factory(make_engine(f"sqlite:///{(env / 'var' / 'madoguchi.db').resolve()}"))
    garbage = CityDataStore(factory, DEMO).get().garbage
    assert garbage.area_candidates("福島") == ["福島（大和町）", "福島（久保田町）"]
