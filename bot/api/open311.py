"""Open311 GeoReport v2 (JSON only): the city's report cases for civic-tech apps and the national standard.

Public output never carries personal data: no resident key, text passed through `mask_pii`, and a photo only
after staff marked it reviewed. POST needs the `open311_api_key` setting (no key configured = no POST).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.api import open311_docs as docs
from bot.deps import ClockDep, FactoryDep, SettingsDep
from bot.privacy import mask_pii
from bot.reports.categories import CategoryTable, load_categories
from bot.reports.photos import PhotoStore
from bot.reports.service import ReportDraft, submit_report
from bot.settings import Settings
from bot.storage import reports as repo
from bot.storage.db import transaction
from bot.storage.reports import CLOSED_STATUSES, DUPLICATE, OPEN_STATUSES, Report, ReportPhoto
from knowledge.clock import to_city_time, to_utc_naive

router = APIRouter(prefix="/open311/v2", tags=["open311"])
MAX_RESULTS = 1000
DEFAULT_DAYS = 90
DESCRIPTION_MAX = 4000


def error(code: int, description: str) -> JSONResponse:
    """GeoReport v2 errors are a list of {code, description}."""
    return JSONResponse(status_code=code, content=[{"code": code, "description": description}])


def _categories(settings: Settings) -> CategoryTable:
    return load_categories(settings.report_categories_file)


@router.get("/services.json", responses=docs.SERVICES)
async def services(settings: SettingsDep) -> list[dict[str, Any]]:
    """The kinds of report the city accepts."""
    return [
        {
            "service_code": c.service_code,
            "service_name": c.label,
            "description": c.description,
            "metadata": False,
            "type": "realtime",
            "keywords": ",".join(c.keywords[:5]),
            "group": c.department,
        }
        for c in _categories(settings).categories
    ]


def _public(session: Session, report: Report, table: CategoryTable, base_url: str) -> dict[str, Any]:
    cat = table.get(report.category)
    notes = mask_pii(repo.latest_note(session, report.id))
    if report.status == DUPLICATE and report.duplicate_of:
        target = session.get(Report, report.duplicate_of)
        if target is not None:
            notes = f"重複: {target.case_number}" + (f" / {notes}" if notes else "")
    photo = session.scalar(
        select(ReportPhoto.photo_id)
        .where(ReportPhoto.report_id == report.id, ReportPhoto.reviewed.is_(True))
        .order_by(ReportPhoto.id)
        .limit(1)
    )
    return {
        "service_request_id": report.case_number,
        "status": "open" if report.status in OPEN_STATUSES else "closed",
        "status_notes": f"{report.status}" + (f": {notes}" if notes else ""),
        "service_name": cat.label,
        "service_code": cat.service_code,
        "description": mask_pii(report.description),
        "agency_responsible": report.department,
        "service_notice": "",
        "requested_datetime": to_city_time(report.created_at).isoformat(timespec="seconds"),
        "updated_datetime": to_city_time(report.updated_at).isoformat(timespec="seconds"),
        "expected_datetime": None,
        "address": mask_pii(report.address_text) if report.address_text else "",
        "address_id": None,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lon,
        "media_url": f"{base_url}/open311/v2/media/{photo}.jpg" if photo else None,
    }


def _parse_when(value: str | None) -> datetime | None:
    """A W3C / RFC 3339 date-time (a date, or no offset = Japan time) as naive UTC; ValueError if not one.
    A bound so far out that UTC leaves datetime's range means "no bound" on that side."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
    try:
        return to_utc_naive(moment)  # a date-time without offset is city (Japan) time
    except OverflowError:  # e.g. 0001-01-01T00:00:00+09:00
        return datetime.min if moment.year == 1 else datetime.max


STATUS_FILTERS = {
    "open": OPEN_STATUSES,
    "closed": CLOSED_STATUSES,
    "open,closed": OPEN_STATUSES + CLOSED_STATUSES,
    "closed,open": OPEN_STATUSES + CLOSED_STATUSES,
}
WHEN_DOC = "RFC 3339 date-time (a date alone, or no offset = Japan time, is also accepted)"
When = Annotated[str | None, Query(description=WHEN_DOC, json_schema_extra={"format": "date-time"})]
Status = Annotated[str | None, Query(json_schema_extra={"enum": list(STATUS_FILTERS)})]


@router.get("/requests.json", responses=docs.LIST)
async def list_requests(
    request: Request,
    settings: SettingsDep,
    factory: FactoryDep,
    clock: ClockDep,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: When = None,
    end_date: When = None,
    status: Status = None,
) -> Any:
    """Cases, newest first: by default those of the last 90 days, at most 1000."""
    try:
        start, end = _parse_when(start_date), _parse_when(end_date)
    except ValueError:
        return error(400, "start_date / end_date must be ISO 8601 (w3c) date-times")
    if status is not None and status not in STATUS_FILTERS:
        return error(400, "status must be open, closed or open,closed")
    wanted_status = set(STATUS_FILTERS[status]) if status else set()
    table = _categories(settings)
    codes = [c.strip() for c in (service_code or "").split(",") if c.strip()]
    categories = [table.by_service_code(c) for c in codes]
    if any(c is None for c in categories):
        return error(404, "service_code not found")
    if start is None and end is None and not service_request_id:
        start = clock.utc_now() - timedelta(days=DEFAULT_DAYS)
    base = str(request.base_url).rstrip("/")

    def query() -> list[dict[str, Any]]:
        with factory() as session:
            stmt = select(Report).order_by(Report.id.desc()).limit(MAX_RESULTS)
            if service_request_id:
                ids = [i.strip().upper() for i in service_request_id.split(",") if i.strip()]
                stmt = select(Report).where(Report.case_number.in_(ids)).order_by(Report.id.desc())
            else:
                if start is not None:
                    stmt = stmt.where(Report.created_at >= start)
                if end is not None:
                    stmt = stmt.where(Report.created_at <= end)
                if wanted_status:
                    stmt = stmt.where(Report.status.in_(wanted_status))
                if categories:
                    stmt = stmt.where(Report.category.in_([c.code for c in categories if c]))
            return [_public(session, r, table, base) for r in session.scalars(stmt)]

    return await anyio.to_thread.run_sync(query)


@router.get("/requests/{case_number}.json", operation_id="open311_get_request", responses=docs.ONE)
async def get_request(case_number: str, request: Request, settings: SettingsDep, factory: FactoryDep) -> Any:
    table = _categories(settings)
    base = str(request.base_url).rstrip("/")

    def query() -> list[dict[str, Any]] | None:
        with factory() as session:
            report = repo.get_by_case_number(session, case_number)
            return [_public(session, report, table, base)] if report else None

    found = await anyio.to_thread.run_sync(query)
    return found if found is not None else error(404, f"service_request_id {case_number} not found")


async def _post_params(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in body.items() if v is not None} if isinstance(body, dict) else {}
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.post("/requests.json", responses=docs.CREATE)
async def create_request(
    request: Request, settings: SettingsDep, factory: FactoryDep, clock: ClockDep
) -> Any:
    """Create a case (form-encoded as in GeoReport v2, or JSON). Personal fields (email, name, phone) are
    ignored on purpose; media_url is not fetched."""
    params = await _post_params(request)
    expected = settings.open311_api_key.get_secret_value()
    given = params.get("api_key", "")
    if not expected or not given or not secrets.compare_digest(given.encode(), expected.encode()):
        return error(403, "invalid api_key")
    table = _categories(settings)
    cat = table.by_service_code(params.get("service_code", ""))
    if cat is None:
        return error(400, "service_code is missing or unknown")
    lat = lon = None
    if params.get("lat") or params.get("long"):
        try:
            lat, lon = float(params["lat"]), float(params["long"])
        except (KeyError, ValueError):
            return error(400, "lat and long must both be numbers")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return error(400, "lat/long out of range")
    address = params.get("address_string", "").strip()
    if lat is None and not address:
        return error(400, "lat/long or address_string is required")
    description = params.get("description", "").strip()
    if not description:
        return error(400, "description is required")
    if len(description) > DESCRIPTION_MAX:
        return error(400, f"description is longer than {DESCRIPTION_MAX} characters")
    draft = ReportDraft(
        category=cat.code,
        description=description,
        reporter="open311",
        channel="open311",
        lat=lat,
        lon=lon,
        address_text=address[:500],
    )

    def create() -> str:
        with transaction(factory) as session:
            return submit_report(session, draft, table, clock=clock).case_number

    case_number = await anyio.to_thread.run_sync(create)
    return [{"service_request_id": case_number, "service_notice": "", "account_id": None}]


@router.get("/media/{photo_id}.jpg", include_in_schema=False)
async def media(photo_id: str, settings: SettingsDep, factory: FactoryDep) -> Any:
    """A photo, only once staff reviewed it (metadata was already stripped when it was stored)."""

    def reviewed() -> bool:
        with factory() as session:
            return (
                session.scalar(
                    select(ReportPhoto.id)
                    .where(ReportPhoto.photo_id == photo_id, ReportPhoto.reviewed.is_(True))
                    .limit(1)
                )
                is not None
            )

    path = PhotoStore.from_settings(settings).path_for(photo_id)
    if path is None or not await anyio.to_thread.run_sync(reviewed):
        return error(404, "media not found")
    return FileResponse(path, media_type="image/jpeg")
