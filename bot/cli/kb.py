"""`madoguchi kb import/export` and `madoguchi unanswered list`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from bot.cli.context import open_context
from bot.storage import conversations, faq_repo
from bot.storage.db import transaction

app = typer.Typer(no_args_is_help=True)
unanswered_app = typer.Typer(no_args_is_help=True)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV (UTF-8/BOM/CP932) or XLSX"),
    replace: bool = typer.Option(
        False, "--replace", help="KB becomes exactly the file (entries not in it are deleted)"
    ),
    actor: str = typer.Option("cli", help="who is importing (recorded in history)"),
) -> None:
    """FAQ を取り込みます。全行を検証し、1行でも誤りがあれば何も反映しません."""
    from knowledge.kb_io import read_kb_file

    result = read_kb_file(file)
    if result.errors:
        typer.echo(
            f"{file}: {len(result.errors)} 件の誤りがあるため取り込みませんでした (nothing imported):",
            err=True,
        )
        for err in result.errors:
            typer.echo(f"  row {err.row}: {err.column}: {err.message}", err=True)
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
