"""The live city data of a process: garbage calendar, clinic roster, departments, snowplow areas, city profile.

Each dataset comes from the newest ``city_datasets`` row of its kind (imported with
``madoguchi data import-…`` or ``madoguchi city load``) or, when none was imported, from the files in
``settings.city_data_dir`` (the ``city/`` of the city folder ``MADOGUCHI_CITY_DIR``; the demo city by default).
The city.json profile is read from that folder, with the staff's console edits applied on top (the newest
``city_settings`` overlay, :mod:`bot.storage.city_settings`). The database revision (imports and settings saves
together) is checked at most every few seconds, so an import or a save is live in every process shortly after it
commits. What time it is in the city is the
city clock's business (:mod:`knowledge.clock`), not this store's.
"""

from __future__ import annotations

import tempfile
import threading
import time as _time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.storage import city_settings, citydata
from knowledge.city import CityProfile
from knowledge.clinics import ClinicRoster
from knowledge.departments import DepartmentDirectory
from knowledge.garbage.calendar import GarbageCalendar
from knowledge.snowplow import SnowplowArea, load_areas

CHECK_EVERY_S = 2.0
# The file each dataset kind reads (garbage is a directory of 5374 files).
SINGLE_FILES = {
    "clinics": "clinics.csv",
    "departments": "departments.csv",
    "snowplow_areas": "snowplow_areas.csv",
}


@dataclass(frozen=True)
class CityData:
    city: CityProfile
    garbage: GarbageCalendar
    clinics: ClinicRoster
    departments: DepartmentDirectory
    snowplow_areas: list[SnowplowArea]
    revision: int
    overlay: dict[str, Any] = field(default_factory=dict)  # the staff's edits, already applied to ``city``

    def contact_fields(self, counter: str, phone: str, hours: str) -> tuple[str, str, str]:
        """The human counter offered to residents as (counter, phone, hours): the configured values
        (``Settings.contact_counter`` …, from city.json or the environment) except those staff changed in the
        console, which win (the counter prefixed with the city's name, as the settings derive it)."""
        edited, contact = self.overlay.get("contact") or {}, self.city.contact
        return (
            " ".join(p for p in (self.city.name, contact.counter) if p) if "counter" in edited else counter,
            contact.phone if "phone" in edited else phone,
            contact.hours if "hours" in edited else hours,
        )


def write_files(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / Path(name).name).write_text(text, encoding="utf-8")
    return directory


def load_city_data(
    base_dir: Path,
    overrides: dict[str, dict[str, str]],
    revision: int = 0,
    overlay: dict[str, Any] | None = None,
) -> CityData:
    """Build the knowledge objects from ``base_dir``, replacing any kind present in ``overrides``; the city
    profile is ``city.json`` with the staff's ``overlay`` applied."""
    city = CityProfile.load(base_dir / "city.json").with_overlay(overlay or {})
    with tempfile.TemporaryDirectory(prefix="madoguchi-city-") as tmp:
        dirs: dict[str, Path] = {}
        for kind, files in overrides.items():
            dirs[kind] = write_files(Path(tmp) / kind, files)
        garbage_dir = dirs.get("garbage", base_dir)
        garbage = GarbageCalendar.load(
            garbage_dir, collect_on_holidays=city.collect_on_holidays, holiday_policy=city.holiday_collection
        )
        clinics = ClinicRoster.load(dirs.get("clinics", base_dir) / SINGLE_FILES["clinics"])
        departments = DepartmentDirectory.load(
            dirs.get("departments", base_dir) / SINGLE_FILES["departments"]
        )
        areas = load_areas(dirs.get("snowplow_areas", base_dir) / SINGLE_FILES["snowplow_areas"])
    return CityData(city, garbage, clinics, departments, areas, revision, dict(overlay or {}))


class CityDataStore:
    """Thread-safe holder of the current :class:`CityData`; each process builds one and passes it on."""

    def __init__(self, factory: sessionmaker[Session] | None, base_dir: Path) -> None:
        self.factory = factory
        self.base_dir = Path(base_dir)
        self._lock = threading.Lock()
        self._data: CityData | None = None
        self._checked = 0.0

    def _revision(self) -> int:
        """Grows whenever a dataset is imported or the settings are saved (both newest ids only grow)."""
        if self.factory is None:
            return 0
        with self.factory() as session:
            return citydata.datasets_revision(session) + city_settings.settings_revision(session)

    def _load(self, revision: int) -> CityData:
        overrides: dict[str, dict[str, str]] = {}
        overlay: dict[str, Any] = {}
        if self.factory is not None and revision:
            with self.factory() as session:
                for kind in citydata.DATASET_KINDS:
                    row = citydata.latest_dataset(session, kind)
                    if row is not None:
                        overrides[kind] = dict(row.files)
                overlay = city_settings.current_overlay(session)
        return load_city_data(self.base_dir, overrides, revision, overlay)

    def base_profile(self) -> CityProfile:
        """The city folder's ``city.json`` as written, without the staff's edits."""
        return CityProfile.load(self.base_dir / "city.json")

    def get(self) -> CityData:
        with self._lock:
            if self._data is None or _time.monotonic() - self._checked > CHECK_EVERY_S:
                revision = self._revision()
                self._checked = _time.monotonic()
                if self._data is None or revision != self._data.revision:
                    self._data = self._load(revision)
            return self._data
