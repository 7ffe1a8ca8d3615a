"""The staff console under /admin: server-rendered, role-checked pages, one router module per resource."""

# `staff` says who the user is and what each role may do, `security` checks sessions, CSRF and roles per
# route, `pages` renders; `install(app)` is the one line the gateway calls.

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from bot.admin import (
    assets,
    audit,
    auth,
    city_settings,
    dashboard,
    faq,
    reports,
    survey_results,
    survey_send,
    surveys,
    unanswered,
    users,
)
from bot.admin.security import AdminRoute

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)
for _module in (
    assets,
    auth,
    users,
    faq,
    unanswered,
    reports,
    dashboard,
    audit,
    city_settings,
    surveys,
    survey_results,
    survey_send,
):
    router.include_router(_module.router)


def install(app: FastAPI) -> None:
    app.include_router(router)
