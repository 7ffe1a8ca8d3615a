"""Sending a survey's invitation on LINE to a segment: everyone, the followers of one area or age group (from
their profiles), or those who asked about a topic. Staff first see the recipient count and what it costs of the
month's message allowance (:func:`bot.surveys.delivery.plan_push`, nothing sent), can do a dry run, and then
send (:func:`bot.surveys.delivery.send_push`, audit-logged there). Editors and admins only.

The segment form is plain HTML: a radio button per kind and one list per kind's value; the value read is the one
of the chosen kind, so the page works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from bot.admin.pages import render, render_error
from bot.admin.security import AdminRoute
from bot.admin.staff import Staff
from bot.admin.surveys import STATUS_LABELS, Writer
from bot.deps import ServicesDep
from bot.services import Services
from bot.storage.profiles import AGE_GROUPS, known_areas
from bot.surveys import delivery, service
from bot.surveys.definition import SurveyError
from bot.surveys.segments import KIND_LABELS, Segment, parse_segment, topic_choices
from channels.line.client import LineClient

router = APIRouter(prefix="/surveys", route_class=AdminRoute)


def segment_of(data: Mapping[str, Any]) -> Segment:
    """The segment a posted (or queried) form names; SurveyError (Japanese) when it names none."""
    kind = str(data.get("kind", "all"))
    return parse_segment(kind, str(data.get(f"{kind}_value", "")))


def _choices(services: Services) -> dict[str, Any]:
    with services.factory() as session:
        return {
            "areas": known_areas(session, services.settings.city_data_dir),
            "topics": topic_choices(session),
            "ages": AGE_GROUPS,
        }


def _plan(services: Services, survey_id: int, segment: Segment) -> delivery.PushPlan:
    with services.factory() as session:
        return delivery.plan_push(session, survey_id, segment, services.clock.now())


def _page(
    request: Request, staff: Staff, services: Services, survey_id: int, status_code: int = 200, **ctx: Any
) -> Response:
    with services.factory() as session:
        row = service.get_survey(session, survey_id)
    if row is None:
        return render_error(request, 404, "そのアンケートはありません。")
    ctx.setdefault("segment", Segment("all"))
    return render(
        request,
        "survey_send.html",
        staff,
        status_code=status_code,
        row=row,
        status_label=STATUS_LABELS[row.status],
        open_now=service.is_open(row, services.clock.now()),
        kind_labels=KIND_LABELS,
        **_choices(services),
        **ctx,
    )


@router.get("/{survey_id:int}/send", response_class=HTMLResponse)
async def send_page(request: Request, survey_id: int, staff: Writer, services: ServicesDep) -> Response:
    query = request.query_params
    if "kind" not in query:
        return await run_in_threadpool(_page, request, staff, services, survey_id)
    try:
        segment = segment_of(query)
        plan = await run_in_threadpool(_plan, services, survey_id, segment)
    except SurveyError as exc:
        return await run_in_threadpool(_page, request, staff, services, survey_id, 400, error=exc.message)
    return await run_in_threadpool(_page, request, staff, services, survey_id, segment=segment, plan=plan)


@router.post("/{survey_id:int}/send", response_class=HTMLResponse)
async def send(request: Request, survey_id: int, staff: Writer, services: ServicesDep) -> Response:
    data = await request.form()
    dry_run = str(data.get("action", "")) != "send"
    settings = services.settings
    token = settings.line_channel_access_token.get_secret_value()
    try:
        segment = segment_of(data)
        if not token:
            raise SurveyError("LINE のチャネルアクセストークンが設定されていないため、LINE では送れません。")
        async with LineClient(
            token, settings.line_api_base_url, settings.line_data_api_base_url
        ) as line_client:
            plan = await delivery.send_push(
                services.factory, line_client, survey_id, segment, staff.username, dry_run=dry_run
            )
    except SurveyError as exc:
        return await run_in_threadpool(_page, request, staff, services, survey_id, 400, error=exc.message)
    return await run_in_threadpool(
        _page, request, staff, services, survey_id, segment=segment, plan=plan, result=plan
    )
