"""The staff's overlay on city.json on SQLite and PostgreSQL: the newest save is live, each save moves the revision."""

from __future__ import annotations

from bot.storage import city_settings
from bot.storage.db import transaction


def test_the_newest_save_is_live_and_moves_the_revision(factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        assert city_settings.current_overlay(session) == {}
        assert city_settings.settings_revision(session) == 0
    with transaction(factory) as session:
        city_settings.save_overlay(session, {"contact": {"phone": "000-1111-2222"}}, "admin")
    with factory() as session:
        first = city_settings.settings_revision(session)
        assert first > 0
    with transaction(factory) as session:
        city_settings.save_overlay(
            session, {"holiday_collection": {"燃やすごみ": True, "びん": None}}, "sato"
        )
    with factory() as session:
        assert city_settings.current_overlay(session) == {
            "holiday_collection": {"燃やすごみ": True, "びん": None}
        }
        assert city_settings.settings_revision(session) > first
        rows = session.query(city_settings.CitySettingsRow).order_by(city_settings.CitySettingsRow.id).all()
        assert [r.actor for r in rows] == ["admin", "sato"]  # the earlier save stays as the history
