"""Unanswered inbox routes: clusters of similar open questions with three actions (new FAQ from the cluster,
attach as alternative questions to an existing entry, dismiss), and answers residents rated unhelpful."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from bot.admin import unanswered_clusters
from bot.admin.pages import audit, csv_response, render
from bot.admin.security import AdminRoute, require
from bot.admin.staff import Staff
from bot.deps import FactoryDep, ServicesDep
from bot.storage import accounts, faq_repo
from bot.storage.db import transaction
from bot.storage.models import Unanswered

router = APIRouter(prefix="/unanswered", route_class=AdminRoute)

Reader = Annotated[Staff, require("unanswered.read")]
Writer = Annotated[Staff, require("unanswered.write")]


@router.get("", response_class=HTMLResponse)
async def inbox_page(
    request: Request, staff: Reader, services: ServicesDep, strength: str = "normal", done: str = ""
) -> Response:
    strength = strength if strength in unanswered_clusters.STRENGTHS else "normal"

    def load() -> tuple:
        with services.factory() as session:
            clusters = unanswered_clusters.build_clusters(services, session, strength)
            low = unanswered_clusters.low_rated(session)
            counts = dict(
                session.execute(select(Unanswered.status, func.count()).group_by(Unanswered.status)).all()
            )
        return clusters, low, counts

    clusters, low, counts = await run_in_threadpool(load)
    messages = {"dismissed": "対応不要にしました。", "attached": "既存の FAQ に言い換えとして追加しました。"}
    return render(
        request,
        "unanswered.html",
        staff,
        clusters=clusters,
        low=low,
        counts=counts,
        strength=strength,
        strengths=unanswered_clusters.STRENGTH_LABELS,
        flash=messages.get(done),
    )


@router.post("/dismiss")
def dismiss(staff: Writer, factory: FactoryDep, ids: Annotated[str, Form()]) -> Response:
    with transaction(factory) as session:
        changed = unanswered_clusters.set_status(session, unanswered_clusters.parse_ids(ids), "dismissed")
        accounts.audit(session, staff.username, "unanswered.dismiss", ids[:200], {"ids": changed}, staff.ip)
    return RedirectResponse("/admin/unanswered?done=dismissed", status_code=303)


@router.post("/attach", response_class=HTMLResponse)
def attach(
    request: Request,
    staff: Writer,
    factory: FactoryDep,
    ids: Annotated[str, Form()],
    faq_id: Annotated[str, Form(max_length=80)],
) -> Response:
    id_list = unanswered_clusters.parse_ids(ids)
    with transaction(factory) as session:
        entry = faq_repo.get_entry(session, faq_id.strip())
        if entry is None:
            return render(
                request,
                "error.html",
                staff,
                status_code=404,
                status=404,
                message=f"FAQ「{faq_id}」は見つかりません。ID を確かめてください。",
            )
        known = set(entry.search_questions())
        added = [t for t in unanswered_clusters.texts_in_order(session, id_list) if t not in known]
        if added:
            faq_repo.save_entry(
                session, replace(entry, alt_questions=[*entry.alt_questions, *added]), actor=staff.username
            )
        changed = unanswered_clusters.set_status(session, id_list, "resolved", entry.id)
        accounts.audit(
            session, staff.username, "unanswered.attach", entry.id, {"ids": changed, "added": added}, staff.ip
        )
    return RedirectResponse("/admin/unanswered?done=attached", status_code=303)


@router.get("/export.csv")
async def export(
    request: Request, staff: Reader, services: ServicesDep, strength: str = "normal"
) -> Response:
    def load() -> list[unanswered_clusters.ClusterView]:
        with services.factory() as session:
            return unanswered_clusters.build_clusters(services, session, strength, with_closest=True)

    clusters = await run_in_threadpool(load)
    audit(request, staff, "unanswered.export", "csv", {"clusters": len(clusters)})
    rows = [
        (
            c.count,
            c.center,
            " | ".join(p.text for p in c.phrasings[1:]),
            c.first.isoformat(" ", "minutes"),
            c.last.isoformat(" ", "minutes"),
            " ".join(f"{k}:{v}" for k, v in c.channels.items()),
            " ".join(f"{h['faq_id']}({h['score']})" for h in c.closest),
        )
        for c in clusters
    ]
    return csv_response(
        "unanswered_clusters.csv",
        ["件数", "代表的な質問", "ほかの聞き方", "最初", "最後", "チャネル", "近い FAQ"],
        rows,
    )
