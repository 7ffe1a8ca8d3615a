"""FAQ editor: list and filters, create/edit/delete with LINE and widget previews, the try-a-question box,
bulk import/export, history with readable diffs and one-click revert. Every write goes through faq_repo,
so the chat path's LiveSearcher picks it up within a second."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.background import BackgroundTask

from bot.admin import unanswered_clusters
from bot.admin.faq_forms import LABELS, LINE_TEXT_LIMIT, FaqForm, entry_changes, new_id
from bot.admin.pages import audit, render, render_error
from bot.admin.security import AdminRoute, require
from bot.admin.staff import Staff
from bot.deps import ClockDep, FactoryDep, ServicesDep
from bot.live_search import LiveSearcher
from bot.storage import accounts, faq_repo
from bot.storage.db import transaction
from bot.storage.models import FaqHistory, FaqRow
from knowledge.kb import FaqEntry

router = APIRouter(prefix="/faq", route_class=AdminRoute)

Reader = Annotated[Staff, require("faq.read")]
Writer = Annotated[Staff, require("faq.write")]


def faq_path(faq_id: str) -> str:
    """The console page of one entry. Ids are the city's own (Q-001, 粗大ごみ-1, A&B…), so always encoded;
    templates do the same with ``|urlencode`` (knowledge.kb.id_problem keeps "/" out of ids)."""
    return f"/admin/faq/{quote(faq_id, safe='')}"


def _choices(entries: list[FaqEntry]) -> dict[str, Any]:
    return {
        "categories": sorted({e.category for e in entries if e.category}),
        "departments": sorted({e.department for e in entries if e.department}),
    }


def _matches(entry: FaqEntry, q: str) -> bool:
    hay = " ".join([entry.id, entry.question, entry.answer, *entry.alt_questions, *entry.keywords]).lower()
    return all(word in hay for word in q.lower().split())


def try_question(live: LiveSearcher, q: str) -> dict[str, Any]:
    """What the chat path would do with `q`: the decision and the top-3 entries with scores."""
    outcome = live.search(q, k=3)
    hits = live.rank(q, 3)
    return {
        "query": q,
        "decision": outcome.decision,
        "reason": outcome.reason,
        "answer_id": outcome.hits[0].faq_id if outcome.decision == "answer" and outcome.hits else None,
        "hits": [{"faq_id": h.faq_id, "score": round(h.score, 3), "question": h.question} for h in hits],
    }


@router.get("", response_class=HTMLResponse)
def faq_list(
    request: Request,
    staff: Reader,
    services: ServicesDep,
    q: str = "",
    category: str = "",
    department: str = "",
    trial: Annotated[str, Query(alias="try", max_length=500)] = "",
) -> Response:
    with services.factory() as session:
        entries = faq_repo.list_entries(session)
    shown = [
        e
        for e in entries
        if (not q or _matches(e, q))
        and (not category or e.category == category)
        and (not department or e.department == department)
    ]
    tried = try_question(services.searcher, trial) if trial.strip() else None
    return render(
        request,
        "faq_list.html",
        staff,
        entries=shown,
        total=len(entries),
        q=q,
        category=category,
        department=department,
        tried=tried,
        trial=trial,
        **_choices(entries),
    )


@router.get("/try.json")
async def try_json(
    staff: Reader, services: ServicesDep, q: Annotated[str, Query(min_length=1, max_length=500)]
) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(lambda: try_question(services.searcher, q)))


# --- create / edit -----------------------------------------------------------------------------------


def _form_page(
    request: Request,
    staff: Staff,
    factory: sessionmaker[Session],
    form: FaqForm,
    mode: str,
    status_code: int = 200,
    **ctx: Any,
) -> Response:
    with factory() as session:
        entries = faq_repo.list_entries(session)
    return render(
        request,
        "faq_form.html",
        staff,
        status_code=status_code,
        form=form,
        mode=mode,
        limit=LINE_TEXT_LIMIT,
        labels=LABELS,
        **_choices(entries),
        **ctx,
    )


@router.get("/new", response_class=HTMLResponse)
def new_form(
    request: Request, staff: Writer, factory: FactoryDep, from_ids: Annotated[str, Query(alias="from")] = ""
) -> Response:
    form = FaqForm()
    ids = unanswered_clusters.parse_ids(from_ids)
    if ids:
        with factory() as session:
            texts = unanswered_clusters.texts_in_order(session, ids)
        if texts:
            form.question, form.alt_questions = texts[0], "\n".join(texts[1:])
    return _form_page(request, staff, factory, form, "new", from_ids=",".join(map(str, ids)))


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, staff: Writer, factory: FactoryDep, clock: ClockDep) -> Response:
    data = await request.form()
    form = FaqForm.from_form(data)
    from_ids = unanswered_clusters.parse_ids(str(data.get("from_ids", "")))
    form.id = form.id.strip() or new_id(clock.today())
    entry = form.to_entry()
    if entry is None:
        return _form_page(request, staff, factory, form, "new", 400, from_ids=",".join(map(str, from_ids)))

    def save() -> str | None:
        with transaction(factory) as session:
            if session.get(FaqRow, entry.id) is not None:
                return "この ID はすでに使われています。別の ID にしてください。"
            faq_repo.save_entry(session, entry, actor=staff.username)
            resolved = unanswered_clusters.set_status(session, from_ids, "resolved", entry.id)
            accounts.audit(
                session,
                staff.username,
                "faq.create",
                entry.id,
                {"question": entry.question, "from_unanswered": resolved},
                staff.ip,
            )
        return None

    problem = await run_in_threadpool(save)
    if problem:
        form.errors["id"] = problem
        return _form_page(request, staff, factory, form, "new", 409, from_ids=",".join(map(str, from_ids)))
    return RedirectResponse(f"{faq_path(entry.id)}?saved=1", status_code=303)


@router.get("/history", response_class=HTMLResponse)
def all_history(request: Request, staff: Reader, factory: FactoryDep) -> Response:
    with factory() as session:
        changes = faq_repo.history(session, limit=200)
    rows = [(c, entry_changes(c.before, c.after)) for c in changes]
    return render(request, "faq_history.html", staff, rows=rows)


@router.get("/{faq_id}", response_class=HTMLResponse)
def detail(request: Request, faq_id: str, staff: Reader, factory: FactoryDep, saved: int = 0) -> Response:
    with factory() as session:
        entry = faq_repo.get_entry(session, faq_id)
        changes = faq_repo.history(session, faq_id, limit=50)
    if entry is None and not changes:
        return render_error(request, 404, f"FAQ「{faq_id}」は見つかりません。")
    rows = [(c, entry_changes(c.before, c.after)) for c in changes]
    return render(
        request,
        "faq_detail.html",
        staff,
        entry=entry,
        faq_id=faq_id,
        rows=rows,
        limit=LINE_TEXT_LIMIT,
        flash="保存しました。検索には数秒以内に反映されます。" if saved else None,
    )


@router.get("/{faq_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, faq_id: str, staff: Writer, factory: FactoryDep) -> Response:
    with factory() as session:
        row = session.get(FaqRow, faq_id)
        entry = faq_repo.to_entry(row) if row else None
        version = row.version if row else 0
    if entry is None:
        return render_error(request, 404, f"FAQ「{faq_id}」は見つかりません。")
    return _form_page(request, staff, factory, FaqForm.from_entry(entry), "edit", version=version)


@router.post("/{faq_id}/edit", response_class=HTMLResponse)
async def update(request: Request, faq_id: str, staff: Writer, factory: FactoryDep) -> Response:
    data = await request.form()
    form = FaqForm.from_form(data)
    form.id = faq_id
    version = int(str(data.get("version", "0")) or 0)
    entry = form.to_entry()
    if entry is None:
        return _form_page(request, staff, factory, form, "edit", 400, version=version)

    def save() -> str | None:
        with transaction(factory) as session:
            row = session.get(FaqRow, faq_id)
            if row is None:
                return "この FAQ は削除されています。"
            if version and row.version != version:
                return "ほかの職員が先にこの FAQ を更新しました。ページを開き直して、最新の内容に編集し直してください。"
            # The form has no fields for the answer_<lang> translations (zh, ko, …): keep the stored ones.
            kept = replace(entry, translations=dict(row.translations or {}))
            done = faq_repo.save_entry(session, kept, actor=staff.username)
            if done != "unchanged":
                accounts.audit(session, staff.username, "faq.update", faq_id, None, staff.ip)
        return None

    problem = await run_in_threadpool(save)
    if problem:
        return _form_page(
            request, staff, factory, form, "edit", 409, version=version, flash=problem, flash_kind="error"
        )
    return RedirectResponse(f"{faq_path(faq_id)}?saved=1", status_code=303)


@router.post("/{faq_id}/delete")
def delete(faq_id: str, staff: Writer, factory: FactoryDep) -> Response:
    with transaction(factory) as session:
        if faq_repo.delete_entry(session, faq_id, actor=staff.username):
            accounts.audit(session, staff.username, "faq.delete", faq_id, None, staff.ip)
    return RedirectResponse(faq_path(faq_id), status_code=303)


@router.post("/revert/{history_id}")
def revert(request: Request, history_id: int, staff: Writer, factory: FactoryDep) -> Response:
    with transaction(factory) as session:
        change = session.get(FaqHistory, history_id)
        if change is None:
            return render_error(request, 404, "その変更履歴は見つかりません。")
        faq_id = change.faq_id
        faq_repo.revert(session, history_id, actor=staff.username)
        accounts.audit(session, staff.username, "faq.revert", faq_id, {"history_id": history_id}, staff.ip)
    return RedirectResponse(f"{faq_path(faq_id)}?saved=1", status_code=303)


# --- import / export ---------------------------------------------------------------------------------


@router.get("/io/import", response_class=HTMLResponse)
def import_page(request: Request, staff: Writer) -> Response:
    return render(request, "faq_import.html", staff)


@router.post("/io/import", response_class=HTMLResponse)
async def import_file(
    request: Request,
    staff: Writer,
    factory: FactoryDep,
    file: Annotated[UploadFile, File()],
    mode: Annotated[str, Form()] = "merge",
    confirm_replace: Annotated[str, Form()] = "",
) -> Response:
    from knowledge.kb_io import KbReadResult, read_kb_file

    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        return render(
            request,
            "faq_import.html",
            staff,
            status_code=400,
            filename=file.filename,
            flash="CSV(.csv)か Excel(.xlsx)のファイルを選んでください。",
            flash_kind="error",
        )
    if mode == "replace" and not confirm_replace:
        return render(
            request,
            "faq_import.html",
            staff,
            status_code=400,
            filename=file.filename,
            flash="置き換えを選んだときは確認のチェックを入れてください(ファイルにない FAQ は削除されます)。",
            flash_kind="error",
        )
    content = await file.read()

    def apply() -> tuple[KbReadResult, dict | None]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(content)
            result = read_kb_file(path)
        if result.errors:
            return result, None
        with transaction(factory) as session:
            counts = faq_repo.apply_import(
                session, result.entries, actor=staff.username, replace=mode == "replace"
            )
            accounts.audit(
                session, staff.username, "faq.import", file.filename or "", {"mode": mode, **counts}, staff.ip
            )
        return result, counts

    result, counts = await run_in_threadpool(apply)
    if result.errors:
        return render(
            request,
            "faq_import.html",
            staff,
            status_code=400,
            errors=result.errors,
            warnings=result.warnings,
            filename=file.filename,
        )
    return render(
        request,
        "faq_import.html",
        staff,
        counts=counts,
        rows=len(result.entries),
        warnings=result.warnings,
        filename=file.filename,
        mode=mode,
    )


@router.get("/io/export.{fmt}")
def export(request: Request, fmt: str, staff: Reader, factory: FactoryDep) -> Response:
    from knowledge.kb_io import write_kb_file

    if fmt not in ("csv", "xlsx"):
        return render_error(request, 404, "csv か xlsx を指定してください。")
    with factory() as session:
        entries = faq_repo.list_entries(session)
    tmp = Path(tempfile.mkdtemp())
    path = tmp / f"faq.{fmt}"
    write_kb_file(entries, path)
    audit(request, staff, "faq.export", fmt, {"entries": len(entries)})
    media = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )

    def cleanup() -> None:
        path.unlink(missing_ok=True)
        tmp.rmdir()

    return FileResponse(path, media_type=media, filename=f"faq.{fmt}", background=BackgroundTask(cleanup))
