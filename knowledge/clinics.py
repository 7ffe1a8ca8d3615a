"""Holiday on-duty clinic roster (休日当番医).

CSV columns: ``date,name,specialty,address,phone,hours,lat,lon`` — one row per clinic per
duty day; ``hours`` like ``9:00-17:00`` or ``9:00-12:00 13:00-17:00``; ``lat``/``lon``
optional. Every question is answered relative to a ``now`` passed in: a duty whose hours
are over is never offered as open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from knowledge.csvdata import CityDataError, DataProblem, parse_date, parse_hours, read_csv

__all__ = [
    "COLUMNS",
    "Clinic",
    "ClinicRoster",
    "DutyDay",
    "is_year_end",
    "map_url",
    "year_end_range",
]

COLUMNS = ["date", "name", "specialty", "address", "phone", "hours", "lat", "lon"]
YEAR_END_START, YEAR_END_END = (12, 29), (1, 3)


def map_url(lat: float, lon: float, zoom: int = 16) -> str:
    """An OpenStreetMap link centred on a point."""
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map={zoom}/{lat:.6f}/{lon:.6f}"


def is_year_end(day: date) -> bool:
    """True from 29 December to 3 January (年末年始)."""
    md = (day.month, day.day)
    return md >= YEAR_END_START or md <= YEAR_END_END


def year_end_range(day: date) -> tuple[date, date]:
    """The 年末年始 period containing ``day``, or the next one when ``day`` is outside it."""
    if (day.month, day.day) <= YEAR_END_END:
        return date(day.year - 1, *YEAR_END_START), date(day.year, *YEAR_END_END)
    return date(day.year, *YEAR_END_START), date(day.year + 1, *YEAR_END_END)


@dataclass(frozen=True)
class Clinic:
    """One clinic on duty on one day."""

    day: date
    name: str
    specialty: str
    address: str
    phone: str
    hours: tuple[tuple[time, time], ...]
    hours_text: str
    lat: float | None = None
    lon: float | None = None

    @property
    def map_url(self) -> str | None:
        if self.lat is None or self.lon is None:
            return None
        return map_url(self.lat, self.lon)

    def closes_at(self) -> datetime:
        last = max((end for _, end in self.hours), default=time(23, 59, 59))
        return datetime.combine(self.day, last)

    def is_over(self, now: datetime) -> bool:
        """True when every duty hour of this clinic lies before ``now``."""
        return self.closes_at() <= now.replace(tzinfo=None)

    def is_open(self, now: datetime) -> bool:
        naive = now.replace(tzinfo=None)
        if naive.date() != self.day:
            return False
        return any(start <= naive.time() < end for start, end in self.hours)


@dataclass(frozen=True)
class DutyDay:
    day: date
    clinics: tuple[Clinic, ...]


class ClinicRoster:
    """All duty days, in date order."""

    def __init__(self, clinics: list[Clinic]):
        self._by_day: dict[date, list[Clinic]] = {}
        for clinic in sorted(clinics, key=lambda c: (c.day, c.hours[0][0])):  # stable: CSV order
            self._by_day.setdefault(clinic.day, []).append(clinic)

    @classmethod
    def load(cls, path: str | Path) -> ClinicRoster:
        return cls(read_clinics(path))

    def days(self) -> list[date]:
        return sorted(self._by_day)

    def first_day(self) -> date | None:
        return min(self._by_day, default=None)

    def last_day(self) -> date | None:
        return max(self._by_day, default=None)

    def on(self, day: date, now: datetime | None = None) -> list[Clinic]:
        """Clinics on duty on ``day``; with ``now``, those already finished are left out."""
        clinics = self._by_day.get(day, [])
        if now is None:
            return list(clinics)
        return [c for c in clinics if not c.is_over(now)]

    def between(self, start: date, end: date, now: datetime | None = None) -> list[DutyDay]:
        """Duty days from ``start`` to ``end`` inclusive (finished duties dropped with ``now``)."""
        out = []
        for day in sorted(d for d in self._by_day if start <= d <= end):
            clinics = self.on(day, now)
            if clinics:
                out.append(DutyDay(day, tuple(clinics)))
        return out

    def year_end(self, day: date, now: datetime | None = None) -> list[DutyDay]:
        """Duty days of the 年末年始 period containing or following ``day``."""
        start, end = year_end_range(day)
        return self.between(start, end, now)

    def open_now(self, now: datetime) -> list[Clinic]:
        return [c for c in self._by_day.get(now.date(), []) if c.is_open(now)]

    def next_open(self, now: datetime) -> DutyDay | None:
        """The first duty day from ``now`` on whose duty is not over yet (today counts)."""
        today = now.date()
        for day in sorted(d for d in self._by_day if d >= today):
            clinics = self.on(day, now)
            if clinics:
                return DutyDay(day, tuple(clinics))
        return None


def read_clinics(path: str | Path) -> list[Clinic]:
    """Rows of the roster CSV; raises :class:`CityDataError` listing every bad row."""
    file = Path(path).name
    _, rows = read_csv(path, COLUMNS[:6])
    clinics: list[Clinic] = []
    problems: list[DataProblem] = []
    seen: set[tuple[date, str]] = set()
    for row in rows:
        try:
            day = parse_date(row.get("date"))
            name = row.get("name")
            if not name:
                raise ValueError("name が空です / empty name")
            hours = parse_hours(row.get("hours"))
            if not hours:
                raise ValueError("hours が空です / empty hours")
            lat_text, lon_text = row.get("lat"), row.get("lon")
            lat = float(lat_text) if lat_text else None
            lon = float(lon_text) if lon_text else None
            if (lat is None) != (lon is None):
                raise ValueError("lat と lon は両方書いてください / give both lat and lon")
            if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError("緯度経度が範囲外です / lat/lon out of range")
            if (day, name) in seen:
                raise ValueError(f"{day} {name} が重複しています / duplicate row")
            seen.add((day, name))
            clinics.append(
                Clinic(
                    day,
                    name,
                    row.get("specialty"),
                    row.get("address"),
                    row.get("phone"),
                    hours,
                    row.get("hours"),
                    lat,
                    lon,
                )  # fmt: skip
            )
        except ValueError as exc:
            problems.append(DataProblem(file, row.number, str(exc)))
    if problems:
        raise CityDataError(problems)
    return clinics
