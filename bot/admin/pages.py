"""Rendering console pages (Jinja2), error pages, the audit trail helper and personal-data masking."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from bot.admin.staff import Denied, Staff
from bot.privacy import mask_pii
from bot.services import request_services
from bot.storage import accounts
from bot.storage.db import transaction
from knowledge.spreadsheet import csv_text

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))

NAV = [  # (path, label, permission)
    ("/admin/dashboard", "ダッシュボード", "dashboard.read"),
    ("/admin/faq", "FAQ", "faq.read"),
    ("/admin/unanswered", "未回答の質問", "unanswered.read"),
    ("/admin/reports", "通報", "reports.read"),
    ("/admin/surveys", "アンケート", "surveys.read"),
    ("/admin/audit", "操作ログ", "audit.read"),
    ("/admin/users", "アカウント", "users.manage"),
    ("/admin/city", "市の設定", "city.manage"),
]


def _fmt_dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


TEMPLATES.env.filters["dt"] = _fmt_dt
TEMPLATES.env.filters["mask"] = lambda text: mask_pii(str(text or ""))
TEMPLATES.env.globals["role_labels"] = accounts.ROLE_LABELS
TEMPLATES.env.globals["totp_roles"] = accounts.TOTP_ROLES


def render(
    request: Request, template: str, staff: Staff | None = None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    # no menu before a role that needs a second factor has enrolled one: only the enrolment page is open to it
    enrolling = staff is not None and staff.role in accounts.TOTP_ROLES and not staff.has_totp
    nav = [
        (path, label) for path, label, perm in NAV if staff is not None and staff.can(perm) and not enrolling
    ]
    context.update(
        staff=staff,
        nav=nav,
        path=request.url.path,
        csrf_token=staff.csrf_token if staff is not None else context.get("csrf_token", ""),
    )
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    staff = getattr(request.state, "staff", None)
    return render(request, "error.html", staff, status_code=status, status=status, message=message)


def audit(
    request: Request, staff: Staff | None, action: str, target: str = "", detail: dict | None = None
) -> None:
    """Record one staff action in its own transaction."""
    actor = staff.username if staff is not None else "-"
    ip = request.client.host if request.client else ""
    with transaction(request_services(request).factory) as session:
        accounts.audit(session, actor, action, target, detail, ip)


class Pii:
    """Masks personal data unless an admin asked to see it (`?unmask=1`); that view is itself audited."""

    def __init__(self, request: Request, staff: Staff | None, what: str) -> None:
        wanted = request.query_params.get("unmask") == "1"
        self.unmasked = wanted and staff is not None and staff.can("pii.unmask")
        if wanted and not self.unmasked:
            raise Denied("個人情報の表示は管理者だけができます。(unmask is for admins only)")
        if self.unmasked:
            audit(request, staff, "pii.unmask", what, {"path": request.url.path, "query": request.url.query})

    def __call__(self, text: Any) -> str:
        text = "" if text is None else str(text)
        return text if self.unmasked else mask_pii(text)


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A CSV download Excel opens correctly (UTF-8 with BOM), no cell a formula (knowledge.spreadsheet)."""
    return Response(
        content="\ufeff" + csv_text(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
