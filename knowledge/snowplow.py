"""Snowplow areas and passes (除雪).

``snowplow_areas.csv`` columns: ``area`` (name), ``aliases`` (space separated, optional),
``lat,lon,radius_m`` (a circle) and/or ``polygon`` (``lat lon;lat lon;…``, used when
given), ``route_ids`` (space separated). Plow vehicles report GPS positions; a position
inside an area counts as a pass over it. All functions are pure: positions and ``now`` come
in as arguments, timestamps are timezone-aware or all naive — do not mix.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from knowledge.csvdata import CityDataError, DataProblem, read_csv
from knowledge.fuzzy import fold, similarity

__all__ = [
    "Position",
    "SnowplowArea",
    "current_positions",
    "in_season",
    "last_plowed",
    "load_areas",
    "map_link",
    "match_area",
    "parse_month_day",
    "plow_history",
    "passes",
]

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class Position:
    vehicle_id: str
    lat: float
    lon: float
    timestamp: datetime


@dataclass(frozen=True)
class SnowplowArea:
    name: str
    lat: float
    lon: float
    radius_m: float = 0.0
    polygon: tuple[tuple[float, float], ...] = ()  # (lat, lon) vertices
    route_ids: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def contains(self, lat: float, lon: float) -> bool:
        if self.polygon:
            return _in_polygon(lat, lon, self.polygon)
        return distance_m(self.lat, self.lon, lat, lon) <= self.radius_m

    @property
    def map_url(self) -> str:
        return map_link(self.lat, self.lon)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _in_polygon(lat: float, lon: float, polygon: tuple[tuple[float, float], ...]) -> bool:
    """Ray casting; points on an edge may fall either side (fine for plow passes)."""
    inside = False
    n = len(polygon)
    for i in range(n):
        y1, x1 = polygon[i]
        y2, x2 = polygon[(i + 1) % n]
        if (y1 > lat) != (y2 > lat):
            x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x_cross:
                inside = not inside
    return inside


def map_link(lat: float, lon: float, zoom: int = 16) -> str:
    """An OpenStreetMap link with a marker at the point."""
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map={zoom}/{lat:.6f}/{lon:.6f}"


def passes(area: SnowplowArea, positions: Iterable[Position]) -> list[datetime]:
    """Times a vehicle was inside ``area``, oldest first."""
    return sorted(p.timestamp for p in positions if area.contains(p.lat, p.lon))


def last_plowed(area: SnowplowArea, positions: Iterable[Position]) -> datetime | None:
    """The latest time any vehicle was inside ``area``."""
    times = passes(area, positions)
    return times[-1] if times else None


def plow_history(areas: Iterable[SnowplowArea], positions: Iterable[Position]) -> dict[str, list[datetime]]:
    """Per area name, the times vehicles were inside it (oldest first)."""
    pos = list(positions)
    return {a.name: passes(a, pos) for a in areas}


def current_positions(
    positions: Iterable[Position], now: datetime, max_age: timedelta
) -> dict[str, Position]:
    """The latest position per vehicle reported within ``max_age`` before ``now`` (none from the future)."""
    latest: dict[str, Position] = {}
    for p in positions:
        if not (now - max_age <= p.timestamp <= now):
            continue
        if p.vehicle_id not in latest or p.timestamp > latest[p.vehicle_id].timestamp:
            latest[p.vehicle_id] = p
    return latest


def parse_month_day(text: str) -> tuple[int, int]:
    """``12-01`` / ``12/1`` -> (12, 1); raises ValueError."""
    m, d = text.replace("/", "-").split("-")
    md = (int(m), int(d))
    date(2000, *md)  # validates
    return md


def in_season(
    day: date, season_start_md: tuple[int, int] | str, season_end_md: tuple[int, int] | str
) -> bool:
    """True when ``day`` lies in the (possibly year-wrapping) season, both ends inclusive."""
    start = parse_month_day(season_start_md) if isinstance(season_start_md, str) else season_start_md
    end = parse_month_day(season_end_md) if isinstance(season_end_md, str) else season_end_md
    md = (day.month, day.day)
    if start <= end:
        return start <= md <= end
    return md >= start or md <= end


def match_area(areas: Iterable[SnowplowArea], text: str, min_score: float = 0.6) -> SnowplowArea | None:
    """The area the text names best (hiragana/katakana, partial names, aliases)."""
    q = fold(text)
    best, best_score = None, 0.0
    for area in areas:
        keys = {fold(area.name), fold(area.name.removesuffix("地区"))} | {fold(a) for a in area.aliases}
        score = max((similarity(q, k) for k in keys if k), default=0.0)
        if score > best_score:
            best, best_score = area, score
    return best if best_score >= min_score else None


def _parse_polygon(text: str) -> tuple[tuple[float, float], ...]:
    points = []
    for part in text.split(";"):
        if part.strip():
            lat, lon = (float(v) for v in part.replace(",", " ").split())
            points.append((lat, lon))
    if len(points) < 3:
        raise ValueError("polygon は3点以上必要です / a polygon needs at least 3 points")
    return tuple(points)


def load_areas(path: str | Path) -> list[SnowplowArea]:
    """Rows of ``snowplow_areas.csv``; raises :class:`CityDataError` listing every bad row."""
    file = Path(path).name
    _, rows = read_csv(path, ["area", "lat", "lon"])
    areas: list[SnowplowArea] = []
    problems: list[DataProblem] = []
    names: set[str] = set()
    for row in rows:
        try:
            name = row.get("area")
            if not name:
                raise ValueError("area が空です / empty area")
            if name in names:
                raise ValueError(f"{name} が重複しています / duplicate area")
            lat, lon = float(row.get("lat")), float(row.get("lon"))
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError("緯度経度が範囲外です / lat/lon out of range")
            polygon = _parse_polygon(row.get("polygon")) if row.get("polygon") else ()
            radius = float(row.get("radius_m") or 0)
            if not polygon and radius <= 0:
                raise ValueError("radius_m か polygon が必要です / give radius_m or polygon")
            names.add(name)
            areas.append(
                SnowplowArea(
                    name,
                    lat,
                    lon,
                    radius,
                    polygon,
                    tuple(row.get("route_ids").split()),
                    tuple(row.get("aliases").split()),
                )  # fmt: skip
            )
        except ValueError as exc:
            problems.append(DataProblem(file, row.number, str(exc)))
    if problems:
        raise CityDataError(problems)
    return areas
