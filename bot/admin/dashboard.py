"""Dashboard: messages per day and hour, answer rate, feedback and the satisfaction check's trend beside it,
questions by topic and age group and the answer rate per age group (residents with a profile; fewer than five
residents shown as 「5未満」), top FAQ entries, top unanswered clusters, reports by category and status, LINE
friends; SVG charts and a CSV download of every table."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from bot.admin import charts, stats
from bot.admin.pages import audit, csv_response, render, render_error
from bot.admin.security import AdminRoute, require
from bot.admin.staff import Staff
from bot.deps import ServicesDep
from bot.line import usage as line_usage
from bot.services import Services

router = APIRouter(prefix="/dashboard", route_class=AdminRoute)
Reader = Annotated[Staff, require("dashboard.read")]
PERIODS = (7, 30, 90)


def _tables(services: Services, days: int) -> dict[str, stats.Table]:
    today = services.clock.today()
    with services.factory() as session:
        start, _ = stats.period_start(today, days)
        daily, hourly = stats.messages_by_day_and_hour(session, today, days)
        tables = [
            daily,
            hourly,
            stats.outcomes(daily),
            stats.feedback(session, start),
            *stats.satisfaction_tables(session, today, start, max(1, days // 7)),
            stats.questions_by_age(session, start),
            stats.answered_by_age(session, start),
            stats.top_faq(session, start),
            stats.top_unanswered(services, session),
            *stats.reports_tables(session, start, services.report_categories()),
            stats.line_friends(session),
            stats.Table("line_usage", *line_usage.summary(session)),  # LINE quota, late pushes, fallbacks
        ]
    return {t.name: t for t in tables}


def _charts(tables: dict[str, stats.Table]) -> dict:
    daily, hourly = tables["daily"], tables["hourly"]
    out = {
        "daily": charts.line_chart(
            [r[0][5:] for r in daily.rows],
            {"質問数": [r[1] for r in daily.rows], "回答できなかった": [r[3] for r in daily.rows]},
            daily.title,
            width=1100,
            height=260,
        ),
        "hourly": charts.bar_chart(
            [f"{r[0]}" for r in hourly.rows], [r[1] for r in hourly.rows], hourly.title
        ),
        "outcomes": charts.ratio_bar(
            {"回答できた": tables["outcomes"].rows[0][0], "回答できなかった": tables["outcomes"].rows[0][1]},
            "回答率",
        ),
        "feedback": charts.ratio_bar(
            {"役に立った": tables["feedback"].rows[0][0], "役に立たなかった": tables["feedback"].rows[0][1]},
            "評価",
        ),
    }
    good, others = tables["satisfaction"].rows[0][:2]
    out["satisfaction"] = charts.ratio_bar({"満足・やや満足": good, "その他": others}, "満足度")
    trend = tables["satisfaction_trend"]
    out["satisfaction_trend"] = charts.line_chart(
        [r[0][5:] for r in trend.rows],
        {"回答": [r[1] for r in trend.rows], "満足・やや満足": [r[2] for r in trend.rows]},
        trend.title,
        height=200,
    )
    for name in ("reports_category", "reports_status"):
        if name in tables:
            t = tables[name]
            out[name] = charts.bar_chart(
                [r[0] for r in t.rows], [r[1] for r in t.rows], t.title, color="#d9822b"
            )
    return out


@router.get("", response_class=HTMLResponse)
async def dashboard(request: Request, staff: Reader, services: ServicesDep, days: int = 30) -> Response:
    days = days if days in PERIODS else 30
    tables = await run_in_threadpool(_tables, services, days)
    return render(
        request, "dashboard.html", staff, tables=tables, charts=_charts(tables), days=days, periods=PERIODS
    )


@router.get("/{name}.csv")
async def table_csv(
    request: Request, name: str, staff: Reader, services: ServicesDep, days: int = 30
) -> Response:
    days = days if days in PERIODS else 30
    tables = await run_in_threadpool(_tables, services, days)
    if name not in tables:
        return render_error(request, 404, "その表はありません。")
    table = tables[name]
    audit(request, staff, "dashboard.export", name, {"days": days})
    return csv_response(f"{name}_{days}d.csv", table.header, table.rows)
