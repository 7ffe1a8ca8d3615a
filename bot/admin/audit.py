"""The audit log of staff actions (admins only), filterable, with a CSV export. Personal data in the
details is masked unless an admin asks to unmask, which is itself recorded."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.admin.pages import Pii, audit, csv_response, render
from bot.admin.security import AdminRoute, require
from bot.admin.staff import Staff
from bot.deps import FactoryDep
from bot.storage import accounts

router = APIRouter(prefix="/audit", route_class=AdminRoute)
Admin = Annotated[Staff, require("audit.read")]
PAGE = 100


def _detail(detail: dict | None, pii: Pii) -> str:
    return pii(json.dumps(detail, ensure_ascii=False)) if detail else ""


@router.get("", response_class=HTMLResponse)
def audit_page(
    request: Request,
    staff: Admin,
    factory: FactoryDep,
    actor: str = "",
    action: str = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    pii = Pii(request, staff, "audit_log")
    with factory() as session:
        rows = accounts.list_audit(
            session, actor.strip(), action.strip(), limit=PAGE + 1, offset=(page - 1) * PAGE
        )
    more = len(rows) > PAGE
    items = [(r, pii(r.target), _detail(r.detail, pii)) for r in rows[:PAGE]]
    return render(
        request,
        "audit.html",
        staff,
        items=items,
        actor=actor,
        action=action,
        page=page,
        more=more,
        unmasked=pii.unmasked,
    )


@router.get("/export.csv")
def export(
    request: Request, staff: Admin, factory: FactoryDep, actor: str = "", action: str = ""
) -> Response:
    pii = Pii(request, staff, "audit_log.csv")
    with factory() as session:
        rows = accounts.list_audit(session, actor.strip(), action.strip(), limit=100_000)
    audit(request, staff, "audit.export", "csv", {"rows": len(rows), "unmasked": pii.unmasked})
    return csv_response(
        "audit_log.csv",
        ["日時(UTC)", "職員", "操作", "対象", "詳細", "IP"],
        [
            (r.at.isoformat(" ", "seconds"), r.actor, r.action, pii(r.target), _detail(r.detail, pii), r.ip)
            for r in rows
        ],
    )
