"""The survey builder: the list of surveys, the form to make and edit one (without JavaScript, IME-safe plain
inputs), a preview as residents see it, publish and close, and new versions once answers have arrived.

Who may do what (what a city expects): editors and admins build, publish, close and send surveys (the same
people who write the FAQ residents read); viewers may see the list and the results, which are aggregated, with
small cells suppressed and personal data in free text masked; report handlers, who work on cases, do not see
surveys. Every change is written to the audit log by :mod:`bot.surveys.service`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.admin.pages import TEMPLATES, render, render_error
from bot.admin.security import AdminRoute, require
from bot.admin.staff import Staff
from bot.admin.survey_forms import SurveyForm
from bot.deps import ServicesDep
from bot.services import Services
from bot.storage.db import transaction
from bot.storage.surveys import SurveyRow, has_responses, list_surveys
from bot.surveys import service
from bot.surveys.definition import KIND_LABELS, SurveyDef, SurveyError
from knowledge.clock import CITY_TZ, to_city_time

# The console's permissions for surveys (bot.admin.staff): reading = admin, editor, viewer; writing = admin, editor.
READ = "surveys.read"
WRITE = "surveys.write"
router = APIRouter(prefix="/surveys", route_class=AdminRoute)
Reader = Annotated[Staff, require(READ)]
Writer = Annotated[Staff, require(WRITE)]
STATUS_LABELS = {"draft": "下書き", "published": "公開中", "closed": "締切"}


def city_dt(moment: datetime | None) -> str:
    """A moment in the city's time (aware, or naive UTC as stored)."""
    if moment is None:
        return ""
    local = moment.astimezone(CITY_TZ) if moment.tzinfo is not None else to_city_time(moment)
    return local.strftime("%Y-%m-%d %H:%M")


TEMPLATES.env.filters["city_dt"] = city_dt
FLASHES = {
    "saved": "保存しました。",
    "created": "アンケートを作りました。プレビューを確かめてから公開してください。",
    "published": "公開しました。開始日時から回答を受け付けます。",
    "closed": "締め切りました。これ以降の回答は受け付けません。",
    "locked": "回答が届いているか締め切ったため、この版は編集できません。「新しい版を作る」から新しい版を作ってください。",
    "version": "新しい版(下書き)を作りました。編集してから公開してください。前の版は公開すると締め切られます。",
}


def survey_path(survey_id: int) -> str:
    return f"/admin/surveys/{survey_id}"


def _state(row: SurveyRow, answered: bool, now: Any) -> dict[str, Any]:
    return {
        "row": row,
        "definition": service.definition_of(row),
        "status_label": STATUS_LABELS[row.status],
        "answered": answered,
        "editable": row.status != "closed" and not answered,
        "open_now": service.is_open(row, now),
    }


@router.get("", response_class=HTMLResponse)
def survey_list(request: Request, staff: Reader, services: ServicesDep) -> Response:
    now = services.clock.now()
    with services.factory() as session:
        items = [_state(r, has_responses(session, r.id), now) for r in list_surveys(session)]
    return render(request, "surveys.html", staff, items=items, can_write=staff.can(WRITE))


def _form_page(
    request: Request, staff: Staff, form: SurveyForm, action: str, status_code: int = 200, **ctx: Any
) -> Response:
    preview = form.definition() if ctx.pop("preview", False) else None
    return render(
        request,
        "survey_form.html",
        staff,
        status_code=status_code,
        form=form,
        action=action,
        kind_labels=KIND_LABELS,
        preview=preview,
        **ctx,
    )


async def _posted(request: Request) -> tuple[SurveyForm, str]:
    data = await request.form()
    return SurveyForm.parse(data), str(data.get("action", "save"))


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, staff: Writer, services: ServicesDep) -> Response:
    return _form_page(request, staff, SurveyForm.blank(services.clock.now()), "/admin/surveys/new")


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, staff: Writer, services: ServicesDep) -> Response:
    form, action = await _posted(request)
    target = "/admin/surveys/new"
    if form.apply(action):
        return _form_page(request, staff, form, target)
    if action == "preview":
        return _form_page(request, staff, form, target, preview=True)
    definition = form.definition()
    if definition is None:
        return _form_page(request, staff, form, target, 400)

    def store(survey: SurveyDef) -> int:
        with transaction(services.factory) as session:
            return service.create_survey(session, survey, staff.username).id

    survey_id = await run_in_threadpool(store, definition)
    return RedirectResponse(f"{survey_path(survey_id)}?done=created", status_code=303)


def _load(services: Services, survey_id: int) -> dict[str, Any] | None:
    with services.factory() as session:
        row = service.get_survey(session, survey_id)
        if row is None:
            return None
        state = _state(row, has_responses(session, row.id), services.clock.now())
        previous = service.get_survey(session, row.previous_id) if row.previous_id else None
        newer = [r for r in list_surveys(session) if r.previous_id == row.id]
    return {**state, "previous": previous, "newer": newer[0] if newer else None}


@router.get("/{survey_id:int}", response_class=HTMLResponse)
def survey_page(
    request: Request, survey_id: int, staff: Reader, services: ServicesDep, done: str = ""
) -> Response:
    state = _load(services, survey_id)
    if state is None:
        return render_error(request, 404, "そのアンケートはありません。")
    return render(
        request,
        "survey_detail.html",
        staff,
        flash=FLASHES.get(done),
        can_write=staff.can(WRITE),
        kind_labels=KIND_LABELS,
        **state,
    )


@router.get("/{survey_id:int}/edit", response_class=HTMLResponse)
def edit_form(request: Request, survey_id: int, staff: Writer, services: ServicesDep) -> Response:
    state = _load(services, survey_id)
    if state is None:
        return render_error(request, 404, "そのアンケートはありません。")
    if not state["editable"]:
        return RedirectResponse(f"{survey_path(survey_id)}?done=locked", status_code=303)
    form = SurveyForm.of(state["definition"])
    return _form_page(request, staff, form, f"{survey_path(survey_id)}/edit", row=state["row"])


@router.post("/{survey_id:int}/edit", response_class=HTMLResponse)
async def update(request: Request, survey_id: int, staff: Writer, services: ServicesDep) -> Response:
    state = await run_in_threadpool(_load, services, survey_id)
    if state is None:
        return render_error(request, 404, "そのアンケートはありません。")
    form, action = await _posted(request)
    target, row = f"{survey_path(survey_id)}/edit", state["row"]
    if form.apply(action):
        return _form_page(request, staff, form, target, row=row)
    if action == "preview":
        return _form_page(request, staff, form, target, row=row, preview=True)
    definition = form.definition()
    if definition is None:
        return _form_page(request, staff, form, target, 400, row=row)

    def store(survey: SurveyDef) -> None:
        with transaction(services.factory) as session:
            service.update_survey(session, survey_id, survey, staff.username)

    try:
        await run_in_threadpool(store, definition)
    except SurveyError as exc:  # answers arrived meanwhile: nothing saved, the typed form stays
        form.error = exc.message
        return _form_page(request, staff, form, target, 409, row=row)
    return RedirectResponse(f"{survey_path(survey_id)}?done=saved", status_code=303)


async def _change(request: Request, services: Services, survey_id: int, staff: Staff, what: str) -> Response:
    def run() -> int:
        with transaction(services.factory) as session:
            if what == "publish":
                return service.publish(session, survey_id, staff.username, services.clock.now()).id
            if what == "close":
                return service.close(session, survey_id, staff.username).id
            return service.new_version(session, survey_id, staff.username).id

    try:
        target = await run_in_threadpool(run)
    except SurveyError as exc:
        return render_error(request, 409, exc.message)
    done = {"publish": "published", "close": "closed", "version": "version"}[what]
    return RedirectResponse(f"{survey_path(target)}?done={done}", status_code=303)


@router.post("/{survey_id:int}/publish")
async def publish(request: Request, survey_id: int, staff: Writer, services: ServicesDep) -> Response:
    return await _change(request, services, survey_id, staff, "publish")


@router.post("/{survey_id:int}/close")
async def close(request: Request, survey_id: int, staff: Writer, services: ServicesDep) -> Response:
    return await _change(request, services, survey_id, staff, "close")


@router.post("/{survey_id:int}/new-version")
async def new_version(request: Request, survey_id: int, staff: Writer, services: ServicesDep) -> Response:
    return await _change(request, services, survey_id, staff, "version")
