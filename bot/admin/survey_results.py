"""A survey's results page: a chart per question, the free-text answers with personal data masked, the
cross-tabulation by age group (年代) or area (地区) with small cells shown as 「5未満」, and the CSV and XLSX
exports (formula-safe; no pseudonym, no age group or area per response). Open to the roles that may read surveys
(:mod:`bot.admin.surveys`); every export is audit-logged."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from bot.admin import charts
from bot.admin.pages import audit, render, render_error
from bot.admin.security import AdminRoute
from bot.admin.surveys import STATUS_LABELS, Reader
from bot.deps import ServicesDep
from bot.services import Services
from bot.storage.profiles import known_areas
from bot.surveys import results, service
from bot.surveys.results import DIMENSIONS, QuestionResult, SurveyResults

router = APIRouter(prefix="/surveys", route_class=AdminRoute)
TEXTS_SHOWN = 300  # free-text answers on the page; the export has them all


def chart(result: QuestionResult) -> Any:
    labels = [label for label, _ in result.counts]
    values = [n for _, n in result.counts]
    title = f"質問{result.index + 1}: {result.question.text}"
    if result.question.kind == "rating":
        return charts.bar_chart(labels, values, title, width=480, height=200, color=charts.PALETTE[2])
    return charts.bar_chart(labels, values, title, width=640, height=220)


def _gather(services: Services, survey_id: int, by: str) -> dict[str, Any] | None:
    with services.factory() as session:
        row = service.get_survey(session, survey_id)
        if row is None:
            return None
        summary: SurveyResults = results.summarize(session, survey_id)
        areas = known_areas(session, services.settings.city_data_dir)
        tabs = results.cross_tabs(session, survey_id, by, areas)
    questions = {q.index: q for q in summary.questions}
    return {
        "row": row,
        "status_label": STATUS_LABELS[row.status],
        "summary": summary,
        "charts": {q.index: chart(q) for q in summary.questions if q.question.kind != "text"},
        "tabs": [(questions[t.question_index], t) for t in tabs],
    }


@router.get("/{survey_id:int}/results", response_class=HTMLResponse)
async def results_page(
    request: Request, survey_id: int, staff: Reader, services: ServicesDep, by: str = "age_group"
) -> Response:
    by = by if by in DIMENSIONS else "age_group"
    data = await run_in_threadpool(_gather, services, survey_id, by)
    if data is None:
        return render_error(request, 404, "そのアンケートはありません。")
    return render(
        request,
        "survey_results.html",
        staff,
        by=by,
        dimensions=DIMENSIONS,
        small_cell=results.SMALL_CELL,
        small_label=results.SMALL_LABEL,
        texts_shown=TEXTS_SHOWN,
        **data,
    )


def _export(services: Services, survey_id: int, fmt: str) -> bytes | None:
    with services.factory() as session:
        if service.get_survey(session, survey_id) is None:
            return None
        if fmt == "csv":
            return ("\ufeff" + results.export_csv(session, survey_id)).encode("utf-8")
        return results.export_xlsx(session, survey_id, known_areas(session, services.settings.city_data_dir))


MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/{survey_id:int}/results.{fmt}")
async def export(
    request: Request, survey_id: int, fmt: str, staff: Reader, services: ServicesDep
) -> Response:
    if fmt not in MEDIA:
        return render_error(request, 404, "csv か xlsx を指定してください。")
    body = await run_in_threadpool(_export, services, survey_id, fmt)
    if body is None:
        return render_error(request, 404, "そのアンケートはありません。")
    audit(request, staff, "survey.export", f"survey:{survey_id}", {"format": fmt})
    return Response(
        content=body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="survey_{survey_id}_results.{fmt}"'},
    )
