"""`madoguchi kb import/export` and `madoguchi unanswered list`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bot.cli.context import open_context
from bot.storage import conversations, faq_repo
from bot.storage.db import transaction

if TYPE_CHECKING:
    from knowledge.kb_io import RowError

app = typer.Typer(no_args_is_help=True)
unanswered_app = typer.Typer(no_args_is_help=True)


def problem_line(problem: RowError) -> str:
    """One error or warning as staff read it: where (row and column as their file names it), then what to do."""
    where = "ファイル (file)" if problem.row == 0 else f"{problem.row}行目 (row {problem.row})"
    return f"  {where}{' ' + problem.column if problem.column else ''}: {problem.message}"


@app.command("import")
def import_(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="CSV (UTF-8/BOM/CP932) or XLSX, English or Japanese headers"
    ),
    replace: bool = typer.Option(
        False, "--replace", help="KB becomes exactly the file (entries not in it are deleted)"
    ),
    actor: str = typer.Option("cli", help="who is importing (recorded in history)"),
) -> None:
    """FAQ を取り込みます。見出しは id,question,answer… でも 番号,質問,回答,分類,担当課,URL でも読みます。全行を検証し、
    1行でも誤りがあれば何も反映しません (validates every row; imports nothing on any error)."""
    from knowledge.kb_io import read_kb_file

    result = read_kb_file(file)
    if result.errors:
        typer.echo(
            f"{file}: {len(result.errors)} 件の誤りがあるため取り込みませんでした (nothing imported):",
            err=True,
        )
        for err in result.errors:
            typer.echo(problem_line(err), err=True)
    if result.warnings:
        typer.echo(
            f"{file}: 注意 {len(result.warnings)} 件 (warnings; they do not stop an import):", err=True
        )
        for warning in result.warnings:
            typer.echo(problem_line(warning), err=True)
    if result.errors:
        raise typer.Exit(1)
    ctx = open_context()
    with transaction(ctx.factory) as session:
        counts = faq_repo.apply_import(session, result.entries, actor=actor, replace=replace)
    typer.echo(
        f"imported {len(result.entries)} rows: created {counts['create']}, updated {counts['update']}, "
        f"unchanged {counts['unchanged']}, deleted {counts['delete']}"
    )


@app.command("export")
def export(file: Path = typer.Argument(..., dir_okay=False, help=".csv (UTF-8 with BOM) or .xlsx")) -> None:
    """FAQ を書き出します(取り込みと往復できます)."""
    from knowledge.kb_io import write_kb_file

    ctx = open_context()
    with ctx.factory() as session:
        entries = faq_repo.list_entries(session)
    write_kb_file(entries, file)
    typer.echo(f"exported {len(entries)} entries to {file}")


@unanswered_app.command("list")
def list_(
    as_json: bool = typer.Option(False, "--json"),
    status: str = typer.Option("open"),
    limit: int = typer.Option(100),
) -> None:
    """回答できなかった質問の一覧 (newest first)."""
    ctx = open_context()
    with ctx.factory() as session:
        rows = conversations.list_unanswered(session, status=status or None, limit=limit)
    items: list[dict[str, Any]] = [
        {
            "id": r.id,
            "text": r.text,
            "channel": r.channel,
            "reason": r.reason,
            "top_score": r.top_score,
            "candidates": r.candidates,
            "status": r.status,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False, indent=1))
        return
    for item in items:
        cands = ", ".join(f"{c['faq_id']}({c['score']:.2f})" for c in item["candidates"])
        typer.echo(
            f"{item['created_at'][:16]}  [{item['channel']}/{item['reason']}]  {item['text']}  → {cands}"
        )
    typer.echo(f"{len(items)}件")
