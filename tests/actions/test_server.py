"""actions.server: the city-data store of the action server follows `MADOGUCHI_CLOCK`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from actions.server import city_store
from bot.live_citydata import local_now
from bot.settings import load_settings

DEMO_DIR = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "city"


def _runtime(tmp_path: Path, **overrides: object) -> SimpleNamespace:
    settings = load_settings(data_dir=tmp_path / "var", env="test", city_data_dir=DEMO_DIR, **overrides)
    return SimpleNamespace(settings=settings, factory=None)


def test_fixed_clock_is_the_stores_now(tmp_path: Path) -> None:
    store = city_store(_runtime(tmp_path, clock="2027-01-09T10:00"))  # type: ignore[arg-type]
    assert store.now() == datetime(2027, 1, 9, 10, 0)
    assert store.now() == store.now()  # it stands still
    assert store.get().garbage.areas()  # and the city data loads as usual


def test_without_clock_the_store_uses_the_city_time(tmp_path: Path) -> None:
    store = city_store(_runtime(tmp_path))  # type: ignore[arg-type]
    assert abs(store.now() - local_now()) < timedelta(seconds=5)
