"""Reports for a date range as CSV (UTF-8 with BOM, opens in Excel) or GeoJSON (opens in QGIS / web maps).

Dates are city dates (`knowledge.clock`), both ends included. These exports are for staff: the description
is kept as the resident wrote it unless `mask=True` (then phone numbers, addresses' house numbers etc. are
masked in the description, the address and the latest staff note, as on the console's detail page).
The resident key (`reports.reporter`) is never exported. No CSV cell is a formula (`knowledge.spreadsheet`).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.privacy import mask_pii
from bot.reports.categories import CategoryTable
from bot.storage import reports as repo
from bot.storage.reports import Report, ReportPhoto
from knowledge.clock import city_day_bounds_utc, to_city_time
from knowledge.spreadsheet import csv_text

CSV_COLUMNS = (
    "受付番号",
    "受付日時",
    "更新日時",
    "状態",
    "種類",
    "担当課",
    "内容",
    "場所",
    "緯度",
    "経度",
    "写真枚数",
    "経路",
    "重複先",
    "重複の可能性",
    "最新のメモ",
)
# the report_rows() keys of those columns, in the same order
CSV_KEYS = (
    "case_number",
    "created_at",
    "updated_at",
    "status",
    "category",
    "department",
    "description",
    "address",
    "lat",
    "lon",
    "photos",
    "channel",
    "duplicate_of",
    "probable_duplicate_of",
    "latest_note",
)


def report_rows(
    session: Session,
    start: date,
    end: date,
    categories: CategoryTable,
    department: str | None = None,
    mask: bool = False,
) -> list[dict[str, Any]]:
    lo, hi = city_day_bounds_utc(start, end)
    reports = list(reversed(repo.list_reports(session, start=lo, end=hi, department=department, limit=None)))
    ids = [r.id for r in reports]
    photo_counts: dict[int, int] = {}
    if ids:
        photo_counts = dict(
            session.execute(
                select(ReportPhoto.report_id, func.count())
                .where(ReportPhoto.report_id.in_(ids))
                .group_by(ReportPhoto.report_id)
            ).all()
        )
    case_of = {r.id: r.case_number for r in reports}

    def case(ref: int | None) -> str:
        if ref is None:
            return ""
        if ref not in case_of:
            other = session.get(Report, ref)
            case_of[ref] = other.case_number if other else str(ref)
        return case_of[ref]

    def shown(text: str) -> str:
        return mask_pii(text) if mask else text

    rows = []
    for r in reports:
        rows.append(
            {
                "case_number": r.case_number,
                "created_at": to_city_time(r.created_at).isoformat(timespec="seconds"),
                "updated_at": to_city_time(r.updated_at).isoformat(timespec="seconds"),
                "status": r.status,
                "category": categories.get(r.category).label,
                "category_code": r.category,
                "department": r.department,
                "description": shown(r.description),
                "address": shown(r.address_text),
                "lat": r.lat,
                "lon": r.lon,
                "photos": photo_counts.get(r.id, 0),
                "channel": r.channel,
                "duplicate_of": case(r.duplicate_of),
                "probable_duplicate_of": case(r.probable_duplicate_of),
                "latest_note": shown(repo.latest_note(session, r.id)),
            }
        )
    return rows


def export_csv(
    session: Session,
    start: date,
    end: date,
    categories: CategoryTable,
    department: str | None = None,
    mask: bool = False,
) -> bytes:
    """CSV bytes, UTF-8 with BOM, CRLF line ends (Excel in Japan opens it without garbling)."""
    rows = [
        [row[key] for key in CSV_KEYS]
        for row in report_rows(session, start, end, categories, department, mask)
    ]
    return ("\ufeff" + csv_text(CSV_COLUMNS, rows)).encode("utf-8")


def export_geojson(
    session: Session,
    start: date,
    end: date,
    categories: CategoryTable,
    department: str | None = None,
    mask: bool = False,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection; reports without a position have `geometry: null` (valid GeoJSON)."""
    features = []
    for row in report_rows(session, start, end, categories, department, mask):
        lat, lon = row.pop("lat"), row.pop("lon")
        geometry = (
            {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
        )
        features.append(
            {"type": "Feature", "id": row["case_number"], "geometry": geometry, "properties": row}
        )
    return {"type": "FeatureCollection", "features": features}


def geojson_bytes(collection: dict[str, Any]) -> bytes:
    return json.dumps(collection, ensure_ascii=False, indent=1).encode("utf-8")
