"""Login (password + TOTP code, throttled), the second factor's enrolment, logout, and the staff member's own
account page.

Sign-in and every current-password check go through `bot.storage.signin` (guesses counted atomically before they
are checked). The roles that can see personal data (`accounts.TOTP_ROLES`) must have a second factor: signed in
with the password alone, they reach only the enrolment page (`/admin/enrol`) until they have confirmed one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from bot.admin import totp
from bot.admin.pages import render
from bot.admin.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    AdminRoute,
    client_ip,
    current_staff,
    enrolment_url,
    login_csrf_token,
    needs_enrolment,
    require,
    safe_next,
    set_login_csrf,
    set_session_cookie,
    tokens_match,
)
from bot.admin.staff import Staff
from bot.deps import FactoryDep, PasswordsDep
from bot.storage import accounts, signin
from bot.storage.accounts import PasswordPolicy
from bot.storage.db import transaction

router = APIRouter(route_class=AdminRoute)
SignedIn = Annotated[Staff, require("account.self")]
Enrolling = Annotated[Staff, require("account.self", enrolling=True)]  # also before the second factor is set

LOCKED = "ログインに続けて失敗したため、15分間ログインできません。しばらくしてからお試しください。"
FAILED = "ユーザー名・パスワード・確認コードのいずれかが正しくありません。"
RECHECK_LOCKED = (
    "パスワードの入力に続けて失敗したため、15分間この操作はできません。しばらくしてからお試しください。"
)
WRONG_PASSWORD = "現在のパスワードが違います。"
BAD_CODE = "確認コードが正しくありません。アプリに表示されている6桁のコードを入力してください。"
BAD_SECRET = "登録用のキーが正しくありません。ページを開き直して、表示された QR コードを登録してください。"
KEEP_TOTP = (
    "管理者・通報担当のアカウントでは2段階認証を解除できません。スマートフォンを替えたときは、"
    "別の管理者に2段階認証のリセットを依頼してください。"
)


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    staff = await current_staff(request)
    if staff is None:
        return RedirectResponse("/admin/login", status_code=303)
    if needs_enrolment(staff):
        return RedirectResponse(enrolment_url("/admin/"), status_code=303)
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


def _second_factor(session: Session, user: accounts.StaffUser, code: str) -> bool:
    """No factor: nothing to check. Otherwise a code of now (±1 step) not used before."""
    if not user.totp_secret:
        return True
    step = totp.matching_step(user.totp_secret, code)
    return step is not None and accounts.use_totp_step(session, user, step)


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
    with transaction(factory) as session:  # the guess is counted (and committed) before it is checked
        allowed = signin.take_guess(session, username, ip)
        if not allowed:
            accounts.audit(session, username, "login.locked", username, None, ip)
    if not allowed:
        return _login_page(request, 429, next=target, username=username, error=LOCKED)
    with transaction(factory) as session:
        user = accounts.check_password(session, username, password, policy=passwords)
        ok = user is not None and _second_factor(session, user, otp)
        signin.record_attempt(session, username, ip, ok)
        if not ok or user is None:
            accounts.audit(session, username, "login.failed", username, None, ip)
            return _login_page(request, 401, next=target, username=username, error=FAILED)
        token = accounts.start_session(session, user, ip, request.headers.get("user-agent", ""))
        enrol = accounts.must_enrol(user)
        detail = {"totp": bool(user.totp_secret), **({"enrol": True} if enrol else {})}
        accounts.audit(session, user.username, "login", user.username, detail, ip)
    response = RedirectResponse(enrolment_url(target) if enrol else target, status_code=303)
    set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin")
    return response


@router.post("/logout")
def logout(request: Request, staff: Enrolling, factory: FactoryDep) -> Response:
    with transaction(factory) as session:
        accounts.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
        accounts.audit(session, staff.username, "logout", staff.username, None, staff.ip)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response


def _recheck_password(
    factory: sessionmaker[Session], passwords: PasswordPolicy, staff: Staff, password: str
) -> tuple[int, str] | None:
    """The current-password check of a signed-in staff member, throttled like a sign-in (its failures count
    towards the account's lock-out): None when right, else (HTTP status, message)."""
    with transaction(factory) as session:
        allowed = signin.take_guess(session, staff.username, staff.ip)
        if not allowed:
            accounts.audit(session, staff.username, "account.recheck_locked", staff.username, None, staff.ip)
    if not allowed:
        return 429, RECHECK_LOCKED
    with transaction(factory) as session:
        ok = accounts.check_password(session, staff.username, password, policy=passwords) is not None
        signin.settle_guess(session, staff.username, staff.ip, ok)
        if not ok:
            accounts.audit(session, staff.username, "account.recheck_failed", staff.username, None, staff.ip)
    return None if ok else (400, WRONG_PASSWORD)


# --- the second factor's enrolment -------------------------------------------------------------------


def _enrolment(staff: Staff, secret: str | None = None) -> dict[str, str]:
    """What the enrolment form shows: a new key unless the one the staff member may already have scanned."""
    secret = secret if secret and totp.valid_secret(secret) else totp.new_secret()
    uri = totp.provisioning_uri(secret, staff.username)
    return {"secret": secret, "grouped": totp.grouped(secret), "uri": uri, "qr": totp.qr_data_uri(uri)}


def _enrol_page(
    request: Request,
    staff: Staff,
    next: str,
    status_code: int = 200,
    secret: str | None = None,
    **ctx: object,
) -> Response:
    return render(
        request,
        "enrol.html",
        staff,
        status_code=status_code,
        totp=_enrolment(staff, secret),
        next=safe_next(next),
        **ctx,
    )


@router.get("/enrol", response_class=HTMLResponse)
def enrol(request: Request, staff: Enrolling, next: str = "") -> Response:
    if not needs_enrolment(staff):
        return RedirectResponse(safe_next(next), status_code=303)
    return _enrol_page(request, staff, next)


# --- own account -------------------------------------------------------------------------------------


def _account_page(
    request: Request, staff: Staff, status_code: int = 200, secret: str | None = None, **ctx: object
) -> Response:
    return render(
        request, "account.html", staff, status_code=status_code, totp=_enrolment(staff, secret), **ctx
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
    current: Annotated[str, Form(max_length=256)],
    new: Annotated[str, Form(max_length=1024)],
    confirm: Annotated[str, Form(max_length=1024)],
) -> Response:
    refused = _recheck_password(factory, passwords, staff, current)
    if refused is not None:
        return _account_page(request, staff, refused[0], flash=refused[1], flash_kind="error")
    if new != confirm:
        return _account_page(
            request, staff, 400, flash="確認用のパスワードが一致しません。", flash_kind="error"
        )
    with transaction(factory) as session:
        user = accounts.get_user(session, staff.username)
        assert user is not None
        try:
            accounts.set_password(session, user, new, policy=passwords)
        except ValueError as exc:
            return _account_page(request, staff, 400, flash=str(exc), flash_kind="error")
        accounts.audit(session, staff.username, "account.password", staff.username, None, staff.ip)
    return RedirectResponse("/admin/login", status_code=303)


@router.post("/account/totp", response_class=HTMLResponse)
def enable_totp(
    request: Request,
    staff: Enrolling,
    factory: FactoryDep,
    passwords: PasswordsDep,
    secret: Annotated[str, Form(max_length=64)],
    code: Annotated[str, Form(max_length=12)],
    current: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Turn the second factor on: the password (throttled) and a code from the app that holds `secret`."""
    forced = needs_enrolment(staff)

    def again(status_code: int, message: str) -> Response:  # the same key: the app may already hold it
        if forced:
            return _enrol_page(request, staff, next, status_code, secret, flash=message, flash_kind="error")
        return _account_page(request, staff, status_code, secret, flash=message, flash_kind="error")

    if staff.has_totp:
        return RedirectResponse("/admin/account", status_code=303)
    if not totp.valid_secret(secret):
        return again(400, BAD_SECRET)
    refused = _recheck_password(factory, passwords, staff, current)
    if refused is not None:
        return again(*refused)
    step = totp.matching_step(secret, code)
    if step is None:
        return again(400, BAD_CODE)
    with transaction(factory) as session:
        user = accounts.get_user(session, staff.username)
        assert user is not None
        accounts.set_totp(session, user, secret, step)
        detail = {"enrolment": True} if forced else None
        accounts.audit(session, staff.username, "account.totp_on", staff.username, detail, staff.ip)
    if forced:
        return RedirectResponse(safe_next(next), status_code=303)
    done = "2段階認証を有効にしました。次回からログイン時に確認コードが必要です。"
    return _account_page(request, replace(staff, has_totp=True), flash=done)


@router.post("/account/totp/off", response_class=HTMLResponse)
def disable_totp(
    request: Request,
    staff: SignedIn,
    factory: FactoryDep,
    passwords: PasswordsDep,
    current: Annotated[str, Form(max_length=256)],
) -> Response:
    if staff.role in accounts.TOTP_ROLES:
        return _account_page(request, staff, 403, flash=KEEP_TOTP, flash_kind="error")
    refused = _recheck_password(factory, passwords, staff, current)
    if refused is not None:
        return _account_page(request, staff, refused[0], flash=refused[1], flash_kind="error")
    with transaction(factory) as session:
        user = accounts.get_user(session, staff.username)
        assert user is not None
        user.totp_secret, user.totp_last_step = None, None
        accounts.audit(session, staff.username, "account.totp_off", staff.username, None, staff.ip)
    return _account_page(request, replace(staff, has_totp=False), flash="2段階認証を解除しました。")
