"""Who may do what in the console: sessions from the cookie, roles per route, CSRF on every state change.

Every route depends on `require(permission)`; it loads the session server-side, refuses a role without the
permission (403) and, for anything but GET/HEAD, compares the session-bound CSRF token sent as the form field
`csrf_token` or the `X-CSRF-Token` header. A role that must have a second factor (`accounts.TOTP_ROLES`) and has
none yet is sent to the enrolment page from every route but those marked `require(…, enrolling=True)`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from bot.admin.pages import render_error
from bot.admin.staff import PERMISSIONS, Denied, NeedLogin, Staff
from bot.services import request_services
from bot.storage import accounts
from bot.storage.db import transaction

SESSION_COOKIE = "madoguchi_admin"
LOGIN_CSRF_COOKIE = "madoguchi_login_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSP = (
    "default-src 'self'; img-src 'self' data: https://*.tile.openstreetmap.org; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or request_services(request).settings.env == "production"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/admin",
        max_age=int(accounts.SESSION_MAX.total_seconds()),
    )


def login_csrf_token(request: Request) -> str:
    """Double-submit token for the login form (there is no session yet)."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)


def set_login_csrf(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/admin",
        max_age=3600,
    )


class NeedEnrolment(Exception):
    """Signed in with the password, but the role needs a second factor first (`/admin/enrol`)."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def needs_enrolment(staff: Staff) -> bool:
    return staff.role in accounts.TOTP_ROLES and not staff.has_totp


def enrolment_url(next_url: str) -> str:
    return f"/admin/enrol?next={quote(next_url)}"


def tokens_match(expected: str, sent: str | None) -> bool:
    return bool(expected) and bool(sent) and hmac.compare_digest(expected.encode(), str(sent).encode())


def _load_staff(request: Request) -> Staff | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    with transaction(request_services(request).factory) as session:
        loaded = accounts.load_session(session, token)
        if loaded is None:
            return None
        row, user = loaded
        return Staff(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name or user.username,
            role=user.role,
            csrf_token=row.csrf_token,
            has_totp=bool(user.totp_secret),
            ip=client_ip(request),
        )


async def current_staff(request: Request) -> Staff | None:
    if not getattr(request.state, "staff_loaded", False):
        request.state.staff = await run_in_threadpool(_load_staff, request)
        request.state.staff_loaded = True
    return request.state.staff


async def check_csrf(request: Request, expected: str) -> None:
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise Denied("他のサイトからの送信は受け付けません。(cross-site request refused)")
    sent = request.headers.get("x-csrf-token")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    if not tokens_match(expected, sent):
        raise Denied(
            "フォームの有効期限が切れたか、不正な送信です。ページを開き直してください。(CSRF check failed)"
        )


def require(permission: str, enrolling: bool = False) -> Any:
    """A dependency: the signed-in staff member holding `permission` (CSRF-checked on state changes).
    `enrolling`: the route is open to a session that still has to enrol its second factor."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    async def dependency(request: Request) -> Staff:
        staff = await current_staff(request)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method not in SAFE_METHODS:
            target = "/admin/"
        if staff is None:
            raise NeedLogin(target)
        if request.method not in SAFE_METHODS:
            await check_csrf(request, staff.csrf_token)
        if not enrolling and needs_enrolment(staff):
            raise NeedEnrolment(target)
        if not staff.can(permission):
            raise Denied(
                f"この操作を行う権限がありません(あなたの役割: {accounts.ROLE_LABELS[staff.role]})。"
                "(permission denied)"
            )
        return staff

    return Depends(dependency)


def safe_next(url: str | None) -> str:
    """Only same-site console paths are followed after login."""
    if url and url.startswith("/admin") and not url.startswith("//") and "\\" not in url:
        return url
    return "/admin/"


class AdminRoute(APIRoute):
    """Turns NeedLogin into a redirect and Denied into a 403 page; adds security headers to every answer."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except NeedLogin as exc:
                response = RedirectResponse(f"/admin/login?next={quote(exc.next_url)}", status_code=303)
            except NeedEnrolment as exc:
                response = RedirectResponse(enrolment_url(exc.next_url), status_code=303)
            except Denied as exc:
                response = render_error(request, 403, exc.message)
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            if not request.url.path.startswith("/admin/static/"):
                response.headers.setdefault("Cache-Control", "no-store")
            return response

        return route
