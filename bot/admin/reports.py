"""Resident reports for staff: filtered list (works offline) and map, detail with photos, status changes
that notify the resident (through bot.reports.service), duplicate merge, publication on Open311 (the text staff
approve and a public note), CSV/GeoJSON export.

Admin and report handlers change, viewers read."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from bot.admin.assets import leaflet_available
from bot.admin.pages import Pii, audit, render, render_error
from bot.admin.security import AdminRoute, require
from bot.admin.staff import Staff
from bot.deps import ServicesDep
from bot.privacy import mask_pii
from bot.reports.export import export_csv, export_geojson, geojson_bytes
from bot.reports.notifications import LinePushNotifier
from bot.reports.photos import PhotoStore
from bot.reports.service import OUT_OF_SCOPE_REASONS, TRANSITIONS, TransitionError, mark_photo_reviewed
from bot.reports.service import change_status as service_change
from bot.services import Services
from bot.storage import reports as repo
from bot.storage.db import transaction
from bot.storage.reports import ReportPhoto
from knowledge.clock import city_day_bounds_utc, to_city_time

router = APIRouter(prefix="/reports", route_class=AdminRoute)
Reader = Annotated[Staff, require("reports.read")]
Handler = Annotated[Staff, require("reports.write")]


def _when(moment: datetime) -> str:
    """A stored (naive UTC) timestamp as the city's local time, to the minute."""
    return to_city_time(moment).strftime("%Y-%m-%d %H:%M")


def _dates(start: str, end: str) -> tuple[date | None, date | None]:
    def parse(text: str) -> date | None:
        try:
            return date.fromisoformat(text) if text else None
        except ValueError:
            return None

    return parse(start), parse(end)


@router.get("", response_class=HTMLResponse)
def report_list(
    request: Request,
    staff: Reader,
    services: ServicesDep,
    status: str = "",
    category: str = "",
    department: str = "",
    start: str = "",
    end: str = "",
    view: str = "list",
) -> Response:
    categories = services.report_categories()
    pii = Pii(request, staff, "reports")
    d1, d2 = _dates(start, end)
    lo, hi = city_day_bounds_utc(d1 or date(2000, 1, 1), d2 or services.clock.today() + timedelta(days=1))
    with services.factory() as session:
        rows = repo.list_reports(
            session,
            status=status or None,
            category=category or None,
            department=department or None,
            start=lo,
            end=hi,
            limit=1000,
        )
        departments = sorted({c.department for c in categories.categories}) if categories else []
    label = (lambda code: categories.get(code).label) if categories else (lambda code: code)
    items = [
        {
            "id": r.id,
            "case": r.case_number,
            "status": r.status,
            "category": label(r.category),
            "department": r.department,
            "description": pii(r.description)[:120],
            "address": pii(r.address_text),
            "lat": r.lat,
            "lon": r.lon,
            "created": _when(r.created_at),
            "duplicate": bool(r.probable_duplicate_of and r.status in repo.OPEN_STATUSES),
        }
        for r in rows
    ]
    points = [
        {k: i[k] for k in ("id", "case", "status", "category", "lat", "lon")}
        for i in items
        if i["lat"] is not None and i["lon"] is not None
    ]
    return render(
        request,
        "reports_list.html",
        staff,
        items=items,
        statuses=repo.STATUSES,
        categories=categories.categories if categories else [],
        departments=departments,
        f={"status": status, "category": category, "department": department, "start": start, "end": end},
        view="map" if view == "map" else "list",
        points_json=json.dumps(points, ensure_ascii=False),
        leaflet=leaflet_available(),
        unmasked=pii.unmasked,
    )


def _detail_context(services: Services, report_id: int, pii: Pii) -> dict[str, Any] | None:
    categories = services.report_categories()
    with services.factory() as session:
        report = session.get(repo.Report, report_id)
        if report is None:
            return None
        case_of: dict[int | None, str] = {}
        for ref in (report.duplicate_of, report.probable_duplicate_of):
            if ref:
                other = session.get(repo.Report, ref)
                case_of[ref] = other.case_number if other else str(ref)
        events = repo.history(session, report_id)
        photos = repo.photos_of(session, report_id)
        data: dict[str, Any] = {
            "id": report.id,
            "case": report.case_number,
            "status": report.status,
            "category": categories.get(report.category).label if categories else report.category,
            "department": report.department,
            "description": pii(report.description),
            "address": pii(report.address_text),
            "lat": report.lat,
            "lon": report.lon,
            "channel": report.channel,
            "created": _when(report.created_at),
            "duplicate_of": case_of.get(report.duplicate_of),
            "duplicate_of_id": report.duplicate_of,
            "probable": case_of.get(report.probable_duplicate_of),
            "probable_id": report.probable_duplicate_of,
        }
        history = [
            {
                "from": e.status_from,
                "to": e.status_to,
                "note": pii(e.note),
                "actor": e.actor,
                "at": _when(e.created_at),
                "notified": e.notified_at is not None,
            }
            for e in events
        ]
        pictures = [{"photo_id": p.photo_id, "reviewed": p.reviewed} for p in photos]
        approved = bool(report.published_by)  # reviewed before: its approved text, else the masked original
        public = {
            "published": report.published_at is not None,
            "at": _when(report.published_at) if report.published_at else "",
            "by": report.published_by,
            "description": report.public_description if approved else mask_pii(report.description),
            "address": report.public_address if approved else mask_pii(report.address_text),
            "note": report.public_note,
        }
    return {
        "r": data,
        "history": history,
        "photos": pictures,
        "public": public,
        "next_statuses": sorted(TRANSITIONS[data["status"]]),
        "reasons": OUT_OF_SCOPE_REASONS,
        "unmasked": pii.unmasked,
    }


@router.get("/export.{fmt}")
def export(
    request: Request,
    fmt: str,
    staff: Reader,
    services: ServicesDep,
    start: str = "",
    end: str = "",
    department: str = "",
) -> Response:
    if fmt not in ("csv", "geojson"):
        return render_error(request, 404, "csv か geojson を指定してください。")
    categories = services.report_categories()
    if categories is None:  # the export names every category: without the table it cannot be made
        return render_error(
            request, 500, "通報の種類の設定ファイルを読み込めません。(report categories unreadable)"
        )
    pii = Pii(request, staff, f"reports.{fmt}")
    d1, d2 = _dates(start, end)
    d2 = d2 or services.clock.today()
    d1 = d1 or d2 - timedelta(days=365)
    with services.factory() as session:
        if fmt == "csv":
            body = export_csv(session, d1, d2, categories, department or None, mask=not pii.unmasked)
            media = "text/csv; charset=utf-8"
        else:
            body = geojson_bytes(
                export_geojson(session, d1, d2, categories, department or None, mask=not pii.unmasked)
            )
            media = "application/geo+json"
    audit(
        request,
        staff,
        "reports.export",
        fmt,
        {"start": d1.isoformat(), "end": d2.isoformat(), "department": department, "unmasked": pii.unmasked},
    )
    name = f"reports_{d1:%Y%m%d}-{d2:%Y%m%d}.{fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/{report_id}", response_class=HTMLResponse)
def detail(
    request: Request, report_id: int, staff: Reader, services: ServicesDep, done: str = ""
) -> Response:
    ctx = _detail_context(services, report_id, Pii(request, staff, f"report:{report_id}"))
    if ctx is None:
        return render_error(request, 404, "その通報は見つかりません。")
    return render(request, "report_detail.html", staff, flash="状態を変更しました。" if done else None, **ctx)


@router.post("/{report_id}/status", response_class=HTMLResponse)
async def change_status(
    request: Request,
    report_id: int,
    staff: Handler,
    services: ServicesDep,
    status: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=1000)] = "",
    duplicate_of: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    notifier = LinePushNotifier(services.factory, services.settings)

    def apply() -> str | None:
        try:
            event = service_change(
                services.factory,
                report_id,
                status,
                actor=staff.username,
                note=note,
                duplicate_of=duplicate_of.strip() or None,
                notifier=notifier,
                categories=services.report_categories(),
            )
        except TransitionError as exc:
            return str(exc)
        audit(
            request,
            staff,
            "report.status",
            str(report_id),
            {
                "from": event.status_from,
                "to": event.status_to,
                "duplicate_of": duplicate_of or None,
                "notified": event.notified_at is not None,
            },
        )
        return None

    problem = await run_in_threadpool(apply)
    if problem:
        ctx = await run_in_threadpool(_detail_context, services, report_id, Pii(request, None, ""))
        if ctx is None:
            return render_error(request, 404, "その通報は見つかりません。")
        return render(
            request, "report_detail.html", staff, status_code=400, flash=problem, flash_kind="error", **ctx
        )
    return RedirectResponse(f"/admin/reports/{report_id}?done=1", status_code=303)


@router.post("/{report_id}/photos/{photo_id}/review")
def review_photo(
    request: Request,
    report_id: int,
    photo_id: str,
    staff: Handler,
    services: ServicesDep,
    reviewed: Annotated[str, Form()] = "1",
) -> Response:
    if mark_photo_reviewed(services.factory, report_id, photo_id, staff.username, reviewed == "1"):
        audit(request, staff, "report.photo_review", f"{report_id}/{photo_id}", {"reviewed": reviewed == "1"})
    return RedirectResponse(f"/admin/reports/{report_id}", status_code=303)


@router.post("/{report_id}/publication")
def publication(
    request: Request,
    report_id: int,
    staff: Handler,
    services: ServicesDep,
    action: Annotated[str, Form()] = "publish",
    description: Annotated[str, Form(max_length=2000)] = "",
    address: Annotated[str, Form(max_length=500)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Staff reviewed the case for Open311: publish it with the text they approved (or update that text), or
    withdraw it."""
    with transaction(services.factory) as session:
        if action == "withdraw":
            found = repo.withdraw(session, report_id)
        else:
            found = repo.publish(
                session, report_id, actor=staff.username, description=description, address=address, note=note
            )
    if found is None:
        return render_error(request, 404, "その通報は見つかりません。")
    audit(request, staff, f"report.{'withdraw' if action == 'withdraw' else 'publish'}", str(report_id))
    return RedirectResponse(f"/admin/reports/{report_id}", status_code=303)


@router.get("/{report_id}/photos/{photo_id}")
def photo(request: Request, report_id: int, photo_id: str, staff: Reader, services: ServicesDep) -> Response:
    """A report's photo, only to signed-in staff and only when it belongs to that report."""
    with services.factory() as session:
        owned = session.scalar(
            select(ReportPhoto.id).where(ReportPhoto.report_id == report_id, ReportPhoto.photo_id == photo_id)
        )
    path = PhotoStore.from_settings(services.settings).path_for(photo_id) if owned else None
    if path is None:
        return render_error(request, 404, "写真が見つかりません。")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})
