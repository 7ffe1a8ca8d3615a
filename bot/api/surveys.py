"""Surveys on the web: the open surveys (`/surveys`), one survey as an accessible HTML form that works without
JavaScript (`/surveys/{id}`, answers via `bot.surveys.service.submit`), its thanks page, the form's small
stylesheet and script, and the widget's list of open surveys (`/api/v1/surveys`).

Who answers: `bot.api.respondent` (a signed cookie holding a resident pseudonym; the widget's link hands its
own pseudonym over). A resident may change their answers until the survey closes: the form opens with them.
Every route shares the widget helpers' per-IP rate limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path as FilePath
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from bot.api import respondent, survey_form
from bot.api.widget import city_name
from bot.deps import ChatDep, ServicesDep
from bot.messages import Messages, for_settings
from bot.services import Services
from bot.storage.db import transaction
from bot.surveys import service
from bot.surveys.definition import SurveyDef, SurveyError
from bot.surveys.service import SurveyClosed
from channels.web.ratelimit import TOO_MANY_RESPONSES, ip_rate_limit
from knowledge.clock import CITY_TZ

WEB = FilePath(__file__).resolve().parents[2] / "channels" / "web"
templates = Jinja2Templates(directory=str(WEB / "templates"))
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
ASSETS = {"survey.css": "text/css; charset=utf-8", "survey.js": "text/javascript; charset=utf-8"}

router = APIRouter(dependencies=[Depends(ip_rate_limit)], responses=TOO_MANY_RESPONSES)
HandoffQuery = Annotated[str | None, Query(max_length=400, include_in_schema=False)]


def city_now(services: Services) -> datetime:
    return services.clock.now().replace(tzinfo=CITY_TZ)


# --- what a survey looks like from outside ------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    state: str  # "open" | "missing" | "not_open" | "closed"
    survey_id: int
    definition: SurveyDef | None = None
    answers: dict[int, Any] | None = None
    completed: bool = False


def survey_number(raw: str) -> int:
    """The survey id of a URL; 0 (no such survey: a 404 page) for anything else, such as /surveys/abc or a number
    past the database's integer."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0


def load(services: Services, survey_id: int, key: str, now: datetime) -> Loaded:
    if survey_id <= 0:
        return Loaded("missing", survey_id)
    with transaction(services.factory) as session:
        row = service.get_survey(session, survey_id)
        if row is None or row.status not in ("published", "closed"):
            return Loaded("missing", survey_id)
        definition = service.definition_of(row)
        if row.status == "closed" or now >= definition.closes_at:
            return Loaded("closed", survey_id, definition)
        if now < definition.opens_at:
            return Loaded("not_open", survey_id, definition)
        progress = service.progress(session, survey_id, key)
    if progress is None:
        return Loaded("open", survey_id, definition)
    return Loaded("open", survey_id, definition, dict(progress.answers), progress.completed)


# --- rendering ----------------------------------------------------------------------------------------


def page(
    request: Request,
    services: Services,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
    cookie_key: str | None = None,
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        template,
        {"city": city_name(str(services.settings.city_data_dir)), **context},
        status_code=status_code,
        headers={
            "Content-Security-Policy": PAGE_CSP,
            "Cache-Control": "no-store",  # a page with a resident's answers is never cached
            "Referrer-Policy": "same-origin",
        },
    )
    if cookie_key:
        set_cookie(request, response, services, cookie_key)
    return response


def set_cookie(request: Request, response: Response, services: Services, key: str) -> None:
    settings = services.settings
    secret = settings.secret_key.get_secret_value()
    respondent.set_cookie(request, response, secret, key, production=settings.env == "production")


def notice(request: Request, services: Services, loaded: Loaded, messages: Messages) -> HTMLResponse:
    """The page for a survey that cannot be answered now: unknown (404), not yet open (403), closed (410)."""
    definition = loaded.definition
    if loaded.state == "closed" and definition is not None:
        title, text, status = definition.title, messages.text("survey_web_closed"), 410
    elif loaded.state == "not_open" and definition is not None:
        opens = survey_form.when(definition.opens_at)
        title, text, status = definition.title, messages.text("survey_web_not_open", opens=opens), 403
    else:
        title, text, status = "アンケートが見つかりません", messages.text("survey_web_not_found"), 404
    return page(request, services, "survey_notice.html", {"title": title, "text": text}, status)


def form_page(
    request: Request,
    services: Services,
    loaded: Loaded,
    key: str,
    *,
    values: dict[int, Any] | None = None,
    errors: dict[int, str] | None = None,
    general_error: str | None = None,
    new_cookie: bool = False,
    status_code: int | None = None,
) -> HTMLResponse:
    definition = loaded.definition
    assert definition is not None
    messages = for_settings(services.settings)
    secret = services.settings.secret_key.get_secret_value()
    questions = survey_form.views(definition, values if values is not None else loaded.answers, errors)
    context = {
        "title": definition.title,
        "survey_id": loaded.survey_id,
        "intro": definition.intro,
        "opens": survey_form.when(definition.opens_at),
        "closes": survey_form.when(definition.closes_at),
        "identity_note": messages.text(
            "survey_web_anonymous" if definition.anonymous else "survey_web_linked"
        ),
        "change_note": messages.text(
            "survey_web_change_until", closes=survey_form.when(definition.closes_at)
        ),
        "completed": loaded.completed,
        "questions": questions,
        "failed": [q for q in questions if q.error],
        "general_error": general_error,
        "text_max": survey_form.text_max(),
        "csrf": respondent.csrf_token(secret, key, loaded.survey_id),
    }
    status = status_code or (422 if errors or general_error else 200)
    return page(request, services, "survey_form.html", context, status, key if new_cookie else None)


def handoff(request: Request, services: Services, token: str, path: str) -> RedirectResponse:
    """`?k=` from the widget: keep its pseudonym in the cookie, then show the same page without the token."""
    secret = services.settings.secret_key.get_secret_value()
    response = RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})
    key = respondent.read_handoff(secret, token)
    if key:
        set_cookie(request, response, services, key)
    return response


# --- routes -------------------------------------------------------------------------------------------


@router.get("/surveys", response_class=HTMLResponse, include_in_schema=False)
async def survey_list(request: Request, services: ServicesDep, k: HandoffQuery = None) -> Response:
    """The surveys open now."""
    if k:
        return handoff(request, services, k, "/surveys")
    now = city_now(services)

    def open_now() -> list[dict[str, Any]]:
        with transaction(services.factory) as session:
            rows = service.open_surveys(session, now)
            return [
                {"id": r.id, "title": r.title, "closes": survey_form.when(service.definition_of(r).closes_at)}
                for r in rows
            ]

    surveys = await anyio.to_thread.run_sync(open_now)
    return page(request, services, "survey_list.html", {"title": "受付中のアンケート", "surveys": surveys})


@router.get("/surveys/{survey_id}", response_class=HTMLResponse, include_in_schema=False)
async def survey_page(
    survey_id: str, request: Request, services: ServicesDep, k: HandoffQuery = None
) -> Response:
    """The form, with the resident's earlier answers when there are any."""
    number = survey_number(survey_id)
    if k:
        return handoff(request, services, k, f"/surveys/{number}")
    who = respondent.respondent_of(request, services.settings.secret_key.get_secret_value())
    loaded = await anyio.to_thread.run_sync(load, services, number, who.key, city_now(services))
    if loaded.state != "open":
        return notice(request, services, loaded, for_settings(services.settings))
    return form_page(request, services, loaded, who.key, new_cookie=who.new)


@router.post("/surveys/{survey_id}", response_class=HTMLResponse, include_in_schema=False)
async def survey_submit(
    raw_id: Annotated[str, Path(alias="survey_id")], request: Request, services: ServicesDep
) -> Response:
    """All answers at once; each problem is shown beside its question, nothing typed is lost."""
    survey_id = survey_number(raw_id)
    messages = for_settings(services.settings)
    secret = services.settings.secret_key.get_secret_value()
    who = respondent.respondent_of(request, secret)
    form = await request.form()
    now = city_now(services)
    loaded = await anyio.to_thread.run_sync(load, services, survey_id, who.key, now)
    if loaded.state != "open" or loaded.definition is None:
        return notice(request, services, loaded, messages)
    answers, shown, errors = survey_form.read_answers(loaded.definition, form)
    token = form.get("csrf")
    if (
        who.new
        or not respondent.same_origin(request)
        or not respondent.csrf_ok(secret, who.key, survey_id, token if isinstance(token, str) else None)
    ):
        # Not stored; the form comes back with what was chosen and a fresh token (a cross-site page cannot
        # read it), so a resident whose cookie was lost only presses the button again.
        return form_page(
            request, services, loaded, who.key, values=shown, errors=errors,
            general_error=messages.text("survey_web_expired_form"), new_cookie=who.new, status_code=403,
        )  # fmt: skip
    if errors:
        return form_page(request, services, loaded, who.key, values=shown, errors=errors)

    def store() -> None:
        with transaction(services.factory) as session:
            service.submit(session, survey_id, who.key, answers, "web", now)

    try:
        await anyio.to_thread.run_sync(store)
    except SurveyClosed:
        return notice(request, services, Loaded("closed", survey_id, loaded.definition), messages)
    except SurveyError as exc:
        return form_page(request, services, loaded, who.key, values=shown, general_error=exc.message)
    return RedirectResponse(f"/surveys/{survey_id}/thanks", status_code=303)


@router.get("/surveys/{survey_id}/thanks", response_class=HTMLResponse, include_in_schema=False)
async def survey_thanks(
    raw_id: Annotated[str, Path(alias="survey_id")], request: Request, services: ServicesDep
) -> Response:
    survey_id = survey_number(raw_id)
    who = respondent.respondent_of(request, services.settings.secret_key.get_secret_value())
    loaded = await anyio.to_thread.run_sync(load, services, survey_id, who.key, city_now(services))
    if loaded.state != "open" or loaded.definition is None:
        return notice(request, services, loaded, for_settings(services.settings))
    if not loaded.completed:
        return RedirectResponse(f"/surveys/{survey_id}", status_code=303)
    closes = survey_form.when(loaded.definition.closes_at)
    context = {"title": loaded.definition.title, "survey_id": survey_id, "closes": closes}
    return page(request, services, "survey_thanks.html", context)


@router.get("/survey-assets/{name}", include_in_schema=False)
async def survey_asset(name: str) -> Response:
    if name not in ASSETS:
        return Response("見つかりません。", status_code=404, media_type="text/plain; charset=utf-8")
    body = (WEB / "static" / name).read_bytes()
    return Response(body, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=300"})


# --- the widget's list --------------------------------------------------------------------------------


class OpenSurveyOut(BaseModel):
    id: int
    title: str
    closes_at: str = Field(description="ISO 8601")
    answered: bool = Field(description="This resident has answered every question")
    url: str = Field(description="The form, relative to the gateway; carries a one-hour hand-over token")


class OpenSurveysOut(BaseModel):
    surveys: list[OpenSurveyOut]
    list_url: str = Field(description="The list page, with the same hand-over token")


@router.get("/api/v1/surveys", response_model=OpenSurveysOut, tags=["chat"])
async def widget_surveys(
    sender_id: Annotated[str, Query(min_length=16, max_length=128)],
    chat: ChatDep,
    services: ServicesDep,
    response: Response,
) -> OpenSurveysOut:
    """The surveys open now, for the widget's 「アンケート」 link (empty: the widget shows no link)."""
    key = chat.resident_key("web", sender_id)
    token = respondent.handoff_token(services.settings.secret_key.get_secret_value(), key)
    now = city_now(services)

    def open_now() -> list[OpenSurveyOut]:
        with transaction(services.factory) as session:
            out = []
            for row in service.open_surveys(session, now):
                progress = service.progress(session, row.id, key)
                out.append(
                    OpenSurveyOut(
                        id=row.id,
                        title=row.title,
                        closes_at=service.definition_of(row).closes_at.isoformat(),
                        answered=bool(progress and progress.completed),
                        url=f"/surveys/{row.id}?k={token}",
                    )
                )
            return out

    response.headers["Cache-Control"] = "no-store"
    return OpenSurveysOut(surveys=await anyio.to_thread.run_sync(open_now), list_url=f"/surveys?k={token}")


def install(app: FastAPI) -> None:
    app.include_router(router)
