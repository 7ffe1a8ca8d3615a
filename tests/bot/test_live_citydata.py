"""bot.live_citydata: the shipped city files load, an override replaces one kind, the store keeps its data, a
settings save is live."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.live_citydata import SINGLE_FILES, CityDataStore, load_city_data, write_files
from bot.storage import city_settings
from bot.storage.db import make_engine, migrate, session_factory, transaction

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


def test_a_settings_save_is_live_at_the_next_check(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    migrate(f"sqlite:///{tmp_path / 'db.sqlite'}")
    factory = session_factory(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    monkeypatch.setattr("bot.live_citydata.CHECK_EVERY_S", 0.0)
    store = CityDataStore(factory, DEMO)
    respect_day = date(2026, 9, 21)  # 敬老の日: the demo city skips recurring collections on holidays
    before = store.get()
    assert before.city.contact.phone == "000-0000-1000"
    assert not before.garbage.collects("中央地区", "燃やすごみ", respect_day)
    overlay = {"contact": {"phone": "000-1111-2222"}, "holiday_collection": {"燃やすごみ": True}}
    with transaction(factory) as session:
        city_settings.save_overlay(session, overlay, "admin")
    after = store.get()
    assert after is not before and after.city.contact.phone == "000-1111-2222"
    assert after.garbage.collects("中央地区", "燃やすごみ", respect_day)
    assert not after.garbage.collects(
        "中央地区", "プラスチック容器包装", date(2026, 9, 22)
    )  # still the city-wide rule
    assert store.base_profile().contact.phone == "000-0000-1000"  # city.json itself is untouched
    configured = ("みどり野市役所 市民相談室", "000-0000-1000", "平日 8:30〜17:15")
    assert before.contact_fields(*configured) == configured
    assert after.contact_fields(*configured) == (
        "みどり野市役所 市民相談室",
        "000-1111-2222",
        "平日 8:30〜17:15",
    )


def test_a_counter_changed_in_the_console_is_named_with_the_city() -> None:
    data = load_city_data(DEMO, {}, overlay={"contact": {"counter": "市民課", "hours": "平日 9:00〜16:00"}})
    assert data.contact_fields("設定の窓口", "000-0000-0001", "設定の時間") == (
        "みどり野市 市民課",
        "000-0000-0001",
        "平日 9:00〜16:00",
    )
