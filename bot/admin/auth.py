"""Login (password + optional TOTP, rate-limited), logout, and the staff member's own account page."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import pyotp
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.admin.pages import render
from bot.admin.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    AdminRoute,
    client_ip,
    current_staff,
    login_csrf_token,
    require,
    safe_next,
    set_login_csrf,
    set_session_cookie,
    tokens_match,
)
from bot.admin.staff import Staff
from bot.deps import FactoryDep, PasswordsDep
from bot.storage import accounts
from bot.storage.db import transaction

router = APIRouter(route_class=AdminRoute)
SignedIn = Annotated[Staff, require("account.self")]

LOCKED = "ログインに続けて失敗したため、15分間ログインできません。しばらくしてからお試しください。"
FAILED = "ユーザー名・パスワード・確認コードのいずれかが正しくありません。"
TOTP_ISSUER = "madoguchi"


def verify_totp(secret: str, code: str) -> bool:
    code = code.replace(" ", "").strip()
    return code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=1)


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    staff = await current_staff(request)
    if staff is None:
        return RedirectResponse("/admin/login", status_code=303)
    start = "/admin/reports" if staff.role == "report_handler" else "/admin/dashboard"
    return RedirectResponse(start, status_code=303)


def _login_page(request: Request, status_code: int = 200, **ctx: object) -> Response:
    token = login_csrf_token(request)
    page = render(request, "login.html", None, status_code, csrf_token=token, **ctx)
    set_login_csrf(request, page, token)
    return page


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "") -> Response:
    return _login_page(request, next=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    factory: FactoryDep,
    passwords: PasswordsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form()] = "",
    otp: Annotated[str, Form(max_length=12)] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    ip = client_ip(request)
    target = safe_next(next)
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return _login_page(
            request,
            403,
            next=target,
            username=username,
            error="フォームの有効期限が切れました。もう一度入力してください。",
        )
    with transaction(factory) as session:
        if accounts.is_locked(session, username, ip):
            accounts.audit(session, username, "login.locked", username, None, ip)
            return _login_page(request, 429, next=target, username=username, error=LOCKED)
        user = accounts.check_password(session, username, password, policy=passwords)
        ok = user is not None and (not user.totp_secret or verify_totp(user.totp_secret, otp))
        accounts.record_attempt(session, username, ip, ok)
        if not ok or user is None:
            accounts.audit(session, username, "login.failed", username, None, ip)
            return _login_page(request, 401, next=target, username=username, error=FAILED)
        token = accounts.start_session(session, user, ip, request.headers.get("user-agent", ""))
        accounts.audit(session, user.username, "login", user.username, {"totp": bool(user.totp_secret)}, ip)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin")
    return response


@router.post("/logout")
def logout(request: Request, staff: SignedIn, factory: FactoryDep) -> Response:
    with transaction(factory) as session:
        accounts.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
        accounts.audit(session, staff.username, "logout", staff.username, None, staff.ip)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response


# --- own account -------------------------------------------------------------------------------------


def _account_page(request: Request, staff: Staff, status_code: int = 200, **ctx: object) -> Response:
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=staff.username, issuer_name=TOTP_ISSUER)
    return render(
        request, "account.html", staff, status_code=status_code, new_secret=secret, otp_uri=uri, **ctx
    )


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, staff: SignedIn) -> Response:
    return _account_page(request, staff)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    staff: SignedIn,
    factory: FactoryDep,
    passwords: PasswordsDep,
    current: Annotated[str, Form()],
    new: Annotated[str, Form()],
    confirm: Annotated[str, Form()],
) -> Response:
    with transaction(factory) as session:
        user = accounts.check_password(session, staff.username, current, policy=passwords)
        if user is None:
            return _account_page(
                request, staff, 400, flash="現在のパスワードが違います。", flash_kind="error"
            )
        if new != confirm:
            return _account_page(
                request, staff, 400, flash="確認用のパスワードが一致しません。", flash_kind="error"
            )
        try:
            accounts.set_password(session, user, new, policy=passwords)
        except ValueError as exc:
            return _account_page(request, staff, 400, flash=str(exc), flash_kind="error")
        accounts.audit(session, staff.username, "account.password", staff.username, None, staff.ip)
    return RedirectResponse("/admin/login", status_code=303)


@router.post("/account/totp", response_class=HTMLResponse)
def enable_totp(
    request: Request,
    staff: SignedIn,
    factory: FactoryDep,
    secret: Annotated[str, Form(max_length=64)],
    code: Annotated[str, Form(max_length=12)],
) -> Response:
    if not verify_totp(secret, code):
        return _account_page(
            request,
            staff,
            400,
            flash="確認コードが正しくありません。アプリの表示をもう一度入力してください。",
            flash_kind="error",
        )
    with transaction(factory) as session:
        user = accounts.get_user(session, staff.username)
        assert user is not None
        user.totp_secret = secret
        accounts.audit(session, staff.username, "account.totp_on", staff.username, None, staff.ip)
    audit_done = "2段階認証を有効にしました。次回からログイン時に確認コードが必要です。"
    return _account_page(request, replace(staff, has_totp=True), flash=audit_done)


@router.post("/account/totp/off", response_class=HTMLResponse)
def disable_totp(
    request: Request,
    staff: SignedIn,
    factory: FactoryDep,
    passwords: PasswordsDep,
    current: Annotated[str, Form()],
) -> Response:
    with transaction(factory) as session:
        user = accounts.check_password(session, staff.username, current, policy=passwords)
        if user is None:
            return _account_page(request, staff, 400, flash="パスワードが違います。", flash_kind="error")
        user.totp_secret = None
        accounts.audit(session, staff.username, "account.totp_off", staff.username, None, staff.ip)
    return _account_page(request, replace(staff, has_totp=False), flash="2段階認証を解除しました。")
