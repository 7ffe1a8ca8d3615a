"""Open311 GeoReport v2, the city's report cases for civic-tech apps, in JSON and in XML (`bot.api.open311_format`).
The service list, definitions and discovery are `bot.api.open311_services`.

Only what staff reviewed is public: a case appears once staff published it in the console, with the text they
approved (description, address, a public note: never the resident's own words unreviewed, never the notes staff
send the resident), masked once more, its coordinates rounded to about 100 m, and a photo only once staff
reviewed it. The list is rate limited per client address and loads in one SQL statement. POST needs the
`open311_api_key` setting (no key configured = no POST); the new case stays private until it is reviewed.
No tokens: a POST answers with the case number at once, so `tokens/{id}` is not served.
"""

from __future__ import annotations

import math
import re
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select

from bot.api import open311_docs as docs
from bot.api import open311_services
from bot.api.open311_format import Fmt, Open311Json, Open311Xml, answer, error, fmt_of
from bot.api.open311_services import Jurisdiction, attributes_of, categories_of, wrong_jurisdiction
from bot.deps import ClockDep, FactoryDep, SettingsDep
from bot.privacy import mask_pii
from bot.reports.attributes import AnswerRejected, answers_text
from bot.reports.categories import CategoryTable
from bot.reports.photos import PhotoStore
from bot.reports.service import ReportDraft, submit_report
from bot.settings import Settings
from bot.storage import reports as repo
from bot.storage.db import transaction
from bot.storage.reports import CLOSED_STATUSES, DUPLICATE, OPEN_STATUSES, PublishedCase, Report, ReportPhoto
from channels.web.ratelimit import RateLimiter, client_ip
from knowledge.clock import to_city_time, to_utc_naive

router = APIRouter(tags=["open311"])
router.include_router(open311_services.router)
MAX_RESULTS = 1000
DEFAULT_DAYS = 90
DESCRIPTION_MAX = 4000
STORED_MAX = 2000  # what a case keeps of its description (bot.reports.service.submit_report)
COORD_DECIMALS = 3  # about 100 m: where the problem is, not whose door it is
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, COORD_DECIMALS)


def public_request(case: PublishedCase, table: CategoryTable, base_url: str) -> dict[str, Any]:
    """A published case as GeoReport v2 fields: the staff-approved text (masked again), rounded coordinates."""
    report = case.report
    cat = table.get(report.category)
    notes = mask_pii(report.public_note)
    if report.status == DUPLICATE and case.duplicate_case:
        notes = f"{case.duplicate_case} と同じ内容" + (f" / {notes}" if notes else "")
    return {
        "service_request_id": report.case_number,
        "status": "open" if report.status in OPEN_STATUSES else "closed",
        "status_notes": f"{report.status}" + (f": {notes}" if notes else ""),
        "service_name": cat.label,
        "service_code": cat.service_code,
        "description": mask_pii(report.public_description),
        "agency_responsible": report.department,
        "service_notice": "",
        "requested_datetime": to_city_time(report.created_at).isoformat(timespec="seconds"),
        "updated_datetime": to_city_time(report.updated_at).isoformat(timespec="seconds"),
        "expected_datetime": None,
        "address": mask_pii(report.public_address),
        "address_id": None,
        "zipcode": None,
        "lat": _rounded(report.lat),
        "long": _rounded(report.lon),
        "media_url": f"{base_url}/open311/v2/media/{case.photo_id}.jpg" if case.photo_id else None,
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


def list_limiter(request: Request, settings: Settings) -> RateLimiter:
    """The case list's per-address limiter (`open311_rate_per_minute`), one per app."""
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "open311_list_limiter", None)
    if limiter is None:
        limiter = state.open311_list_limiter = RateLimiter(settings.open311_rate_per_minute)
    return limiter


@router.get("/open311/v2/requests.json", responses=docs.LIST, response_class=Open311Json)
@router.get("/open311/v2/requests.xml", responses=docs.xml(docs.LIST), response_class=Open311Xml)
async def list_requests(
    request: Request,
    settings: SettingsDep,
    factory: FactoryDep,
    clock: ClockDep,
    jurisdiction_id: Jurisdiction = None,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: When = None,
    end_date: When = None,
    status: Status = None,
) -> Any:
    """Published cases, newest first: by default those of the last 90 days, at most 1000."""
    fmt = fmt_of(request)
    wait = list_limiter(request, settings).check(client_ip(request))
    if wait:
        retry = str(max(1, math.ceil(wait)))
        return error(fmt, 429, f"too many requests: retry after {retry} s", {"Retry-After": retry})
    if refused := wrong_jurisdiction(fmt, jurisdiction_id, settings):
        return refused
    try:
        start, end = _parse_when(start_date), _parse_when(end_date)
    except ValueError:
        return error(fmt, 400, "start_date / end_date must be ISO 8601 (w3c) date-times")
    if status is not None and status not in STATUS_FILTERS:
        return error(fmt, 400, "status must be open, closed or open,closed")
    table = categories_of(settings)
    codes = [c.strip() for c in (service_code or "").split(",") if c.strip()]
    categories = [table.by_service_code(c) for c in codes]
    if any(c is None for c in categories):
        return error(fmt, 404, "service_code not found")
    wanted = [i for i in (service_request_id or "").split(",") if i.strip()]
    if start is None and end is None and not wanted:
        start = clock.utc_now() - timedelta(days=DEFAULT_DAYS)
    base = str(request.base_url).rstrip("/")

    def query() -> list[dict[str, Any]]:
        with factory() as session:
            found = repo.published_cases(
                session,
                case_numbers=wanted,
                start=start,
                end=end,
                statuses=STATUS_FILTERS[status] if status else (),
                categories=[c.code for c in categories if c],
                limit=MAX_RESULTS,
            )
            return [public_request(case, table, base) for case in found]

    return answer(fmt, "service_requests", await anyio.to_thread.run_sync(query))


@router.get(
    "/open311/v2/requests/{case_number}.json",
    operation_id="open311_get_request",
    responses=docs.ONE,
    response_class=Open311Json,
)
@router.get(
    "/open311/v2/requests/{case_number}.xml",
    operation_id="open311_get_request_xml",
    responses=docs.xml(docs.ONE),
    response_class=Open311Xml,
)
async def get_request(
    case_number: str,
    request: Request,
    settings: SettingsDep,
    factory: FactoryDep,
    jurisdiction_id: Jurisdiction = None,
) -> Any:
    """One case, once published (an unpublished case is "not found" like one that does not exist)."""
    fmt = fmt_of(request)
    if refused := wrong_jurisdiction(fmt, jurisdiction_id, settings):
        return refused
    table = categories_of(settings)
    base = str(request.base_url).rstrip("/")

    def query() -> list[dict[str, Any]]:
        with factory() as session:
            found = repo.published_cases(session, case_numbers=[case_number], limit=1)
            return [public_request(case, table, base) for case in found]

    found = await anyio.to_thread.run_sync(query)
    if not found:
        return error(fmt, 404, f"service_request_id {case_number} not found")
    return answer(fmt, "service_requests", found)


async def _post_params(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The POST's fields, and its `attribute[code]` (or `attribute[code][]`) answers by code."""
    fields: dict[str, str] = {}
    answers: dict[str, list[str]] = {}
    pairs: list[tuple[str, Any]] = []
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            nested = body.pop("attribute", None)
            pairs = list(body.items())
            if isinstance(nested, dict):
                pairs += [(f"attribute[{code}]", value) for code, value in nested.items()]
    else:
        pairs = list((await request.form()).multi_items())
    for key, value in pairs:
        values = value if isinstance(value, list) else [value]
        texts = [str(v) for v in values if isinstance(v, str | int | float) and not isinstance(v, bool)]
        if found := ATTRIBUTE.match(str(key)):
            answers.setdefault(found.group(1), []).extend(texts)
        elif texts and not isinstance(value, list):
            fields[str(key)] = texts[0]
    return fields, answers


@router.post("/open311/v2/requests.json", responses=docs.CREATE, response_class=Open311Json)
@router.post("/open311/v2/requests.xml", responses=docs.xml(docs.CREATE), response_class=Open311Xml)
async def create_request(
    request: Request, settings: SettingsDep, factory: FactoryDep, clock: ClockDep
) -> Any:
    """Create a case (form-encoded as in GeoReport v2, or JSON), answering with its number. The service's
    questions come as `attribute[code]`. Personal fields (email, name, phone) are ignored on purpose;
    media_url is not fetched."""
    fmt = fmt_of(request)
    params, answers = await _post_params(request)
    expected = settings.open311_api_key.get_secret_value()
    given = params.get("api_key", "")
    if not expected or not given or not secrets.compare_digest(given.encode(), expected.encode()):
        return error(fmt, 403, "invalid api_key")
    if refused := wrong_jurisdiction(fmt, params.get("jurisdiction_id"), settings):
        return refused
    draft = _draft(fmt, params, answers, settings)
    if isinstance(draft, Response):
        return draft
    table = categories_of(settings)

    def create() -> str:
        with transaction(factory) as session:
            return submit_report(session, draft, table, clock=clock).case_number

    case_number = await anyio.to_thread.run_sync(create)
    created = [{"service_request_id": case_number, "service_notice": "", "account_id": None}]
    return answer(fmt, "service_requests", created)


def _draft(
    fmt: Fmt, params: dict[str, str], answers: dict[str, list[str]], settings: Settings
) -> ReportDraft | Response:
    """The report a POST describes, or the 400 that says what is wrong with it."""
    cat = categories_of(settings).by_service_code(params.get("service_code", ""))
    if cat is None:
        return error(fmt, 400, "service_code is missing or unknown")
    lat = lon = None
    if params.get("lat") or params.get("long"):
        try:
            lat, lon = float(params["lat"]), float(params["long"])
        except (KeyError, ValueError):
            return error(fmt, 400, "lat and long must both be numbers")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return error(fmt, 400, "lat/long out of range")
    address = params.get("address_string", "").strip()
    if lat is None and not address:
        return error(fmt, 400, "lat/long or address_string is required")
    description = params.get("description", "").strip()
    if not description:
        return error(fmt, 400, "description is required")
    if len(description) > DESCRIPTION_MAX:
        return error(fmt, 400, f"description is longer than {DESCRIPTION_MAX} characters")
    try:
        extra = answers_text(attributes_of(settings).of(cat.code), answers)
    except AnswerRejected as exc:
        return error(fmt, 400, str(exc))
    if extra:  # the answers stay whole; the description gives way
        description = description[: max(0, STORED_MAX - len(extra) - 2)].rstrip() + "\n\n" + extra
    return ReportDraft(
        category=cat.code,
        description=description,
        reporter="open311",
        channel="open311",
        lat=lat,
        lon=lon,
        address_text=address[:500],
    )


@router.get("/open311/v2/media/{photo_id}.jpg", include_in_schema=False)
async def media(photo_id: str, settings: SettingsDep, factory: FactoryDep) -> Any:
    """A photo, only once staff reviewed it and published its case (metadata was stripped when it was
    stored)."""

    def public() -> bool:
        with factory() as session:
            found = session.scalar(
                select(ReportPhoto.id)
                .join(Report, Report.id == ReportPhoto.report_id)
                .where(
                    ReportPhoto.photo_id == photo_id,
                    ReportPhoto.reviewed.is_(True),
                    ReportPhoto.deleted_at.is_(None),
                    Report.published_at.is_not(None),
                )
                .limit(1)
            )
            return found is not None

    path = PhotoStore.from_settings(settings).path_for(photo_id)
    if path is None or not await anyio.to_thread.run_sync(public):
        return error("json", 404, "media not found")
    return FileResponse(path, media_type="image/jpeg")
