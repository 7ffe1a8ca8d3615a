"""Probable duplicates: an open report of the same category close by and recent is flagged on a new report, so
staff can merge the two (the radius and the window come from the category table)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reports.categories import CategoryTable
from bot.storage.reports import OPEN_STATUSES, Report

METRES_PER_DEGREE_LAT = 111_320.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def find_probable_duplicate(
    session: Session,
    categories: CategoryTable,
    category: str,
    lat: float | None,
    lon: float | None,
    now: datetime,
    exclude_id: int | None = None,
) -> Report | None:
    """The nearest open report of the same category within its radius from the last N days before `now`
    (naive UTC), if any."""
    if lat is None or lon is None:
        return None
    cat = categories.get(category)
    radius = cat.duplicate_radius_m
    dlat = radius / METRES_PER_DEGREE_LAT
    dlon = radius / (METRES_PER_DEGREE_LAT * max(0.01, math.cos(math.radians(lat))))
    query = select(Report).where(
        Report.category == cat.code,
        Report.status.in_(OPEN_STATUSES),
        Report.created_at >= now - timedelta(days=categories.duplicate_window_days),
        Report.lat.between(lat - dlat, lat + dlat),
        Report.lon.between(lon - dlon, lon + dlon),
    )
    if exclude_id is not None:
        query = query.where(Report.id != exclude_id)
    best: tuple[float, Report] | None = None
    for row in session.scalars(query):
        d = distance_m(lat, lon, row.lat, row.lon)  # type: ignore[arg-type]
        if d <= radius and (best is None or d < best[0]):
            best = (d, row)
    return best[1] if best else None
