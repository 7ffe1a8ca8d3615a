"""bot.live_citydata: the shipped city files load, an override replaces one kind, the store keeps its data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.live_citydata import SINGLE_FILES, CityDataStore, load_city_data, write_files

DEMO = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "city"


def test_shipped_files_load_and_an_override_replaces_one_kind() -> None:
    shipped = load_city_data(DEMO, {})
    assert shipped.garbage.areas() and shipped.snowplow_areas and shipped.revision == 0
    roster = "date,name,specialty,address,phone,hours,lat,lon\n2026-09-20,テスト医院,内科,本町,000-0000-9999,9:00-17:00,,\n"
    data = load_city_data(DEMO, {"clinics": {SINGLE_FILES["clinics"]: roster}}, revision=3)
    assert [c.name for c in data.clinics.on(date(2026, 9, 20))] == ["テスト医院"] and data.revision == 3
    assert data.garbage.areas() == shipped.garbage.areas()  # the other kinds still from the shipped files


def test_store_without_a_database_keeps_the_shipped_data(tmp_path: Path) -> None:
    store = CityDataStore(None, DEMO)
    assert store.get() is store.get()
    written = write_files(tmp_path / "x", {"sub/dir/a.csv": "a\n"})
    assert (written / "a.csv").read_text(encoding="utf-8") == "a\n"  # only the file name is kept
