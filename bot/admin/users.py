"""Staff accounts, managed by admins: create, change role, disable, reset password / second factor, unlock."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from bot.admin.pages import render
from bot.admin.security import AdminRoute, require
from bot.admin.staff import Staff
from bot.deps import FactoryDep, PasswordsDep
from bot.storage import accounts, signin
from bot.storage.db import transaction

router = APIRouter(route_class=AdminRoute)
Admin = Annotated[Staff, require("users.manage")]


def _page(
    request: Request, staff: Staff, factory: sessionmaker[Session], status_code: int = 200, **ctx: object
) -> Response:
    with factory() as session:
        users = accounts.list_users(session)
        locked = {u.username for u in users if signin.is_locked(session, u.username, "")}
    return render(
        request,
        "users.html",
        staff,
        status_code=status_code,
        users=users,
        locked=locked,
        roles=accounts.ROLES,
        **ctx,
    )


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, staff: Admin, factory: FactoryDep) -> Response:
    return _page(request, staff, factory)


@router.post("/users", response_class=HTMLResponse)
def create(
    request: Request,
    staff: Admin,
    factory: FactoryDep,
    passwords: PasswordsDep,
    username: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()],
    display_name: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    try:
        with transaction(factory) as session:
            accounts.create_user(session, username, password, role, display_name, policy=passwords)
            accounts.audit(session, staff.username, "user.create", username, {"role": role}, staff.ip)
    except ValueError as exc:
        return _page(request, staff, factory, 400, flash=str(exc), flash_kind="error")
    return _page(request, staff, factory, flash=f"{username} を作成しました。")


@router.post("/users/{username}", response_class=HTMLResponse)
def update(
    request: Request,
    username: str,
    staff: Admin,
    factory: FactoryDep,
    passwords: PasswordsDep,
    action: Annotated[str, Form()],
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        with transaction(factory) as session:
            user = accounts.get_user(session, username)
            if user is None:
                return _page(
                    request, staff, factory, 404, flash="そのアカウントはありません。", flash_kind="error"
                )
            if user.username == staff.username and action in ("role", "disable"):
                raise ValueError("自分自身の役割変更・無効化はできません。別の管理者に依頼してください。")
            detail: dict = {}
            if action == "role":
                if role not in accounts.ROLES:
                    raise ValueError("不明な役割です。")
                detail = {"from": user.role, "to": role}
                user.role = role
                accounts.end_sessions(session, user.id)
            elif action == "disable":
                user.active = False
                accounts.end_sessions(session, user.id)
            elif action == "enable":
                user.active = True
            elif action == "password":
                accounts.set_password(session, user, password, policy=passwords)
            elif action == "totp_reset":
                accounts.reset_totp(session, user)  # a lost phone: enrol again at the next sign-in
            elif action == "unlock":
                detail = {"cleared": signin.unlock(session, user.username)}
            else:
                raise ValueError("不明な操作です。")
            accounts.audit(session, staff.username, f"user.{action}", username, detail, staff.ip)
    except ValueError as exc:
        return _page(request, staff, factory, 400, flash=str(exc), flash_kind="error")
    return RedirectResponse("/admin/users", status_code=303)
