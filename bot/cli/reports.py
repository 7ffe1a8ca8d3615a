"""`madoguchi reports export|notify|replay-spool`: resident reports from the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from bot.cli.context import open_context

app = typer.Typer(no_args_is_help=True)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} は日付ではありません (use YYYY-MM-DD)", param_hint=option
        ) from exc


@app.command("export")
def export(
    file: Path = typer.Argument(..., dir_okay=False, help="output file"),
    from_: str = typer.Option(..., "--from", help="first day (YYYY-MM-DD, Japan time)"),
    to: str = typer.Option(..., "--to", help="last day, included (YYYY-MM-DD)"),
    fmt: str = typer.Option("csv", "--format", help="csv (UTF-8 with BOM) | geojson"),
    department: str = typer.Option("", help="only this department (担当課)"),
    mask: bool = typer.Option(False, "--mask", help="mask phone numbers, house numbers… in the text"),
) -> None:
    """通報を期間で書き出します (CSV または GeoJSON)."""
    from bot.reports.categories import load_categories
    from bot.reports.export import export_csv, export_geojson, geojson_bytes

    start, end = _date(from_, "--from"), _date(to, "--to")
    if end < start:
        raise typer.BadParameter("--to は --from 以降の日付にしてください (--to is before --from)")
    if fmt not in ("csv", "geojson"):
        raise typer.BadParameter("--format は csv か geojson です", param_hint="--format")
    ctx = open_context()
    categories = load_categories(ctx.settings.report_categories_file)
    with ctx.factory() as session:
        if fmt == "csv":
            data = export_csv(session, start, end, categories, department or None, mask)
            count = data.count(b"\r\n") - 1
        else:
            collection = export_geojson(session, start, end, categories, department or None, mask)
            data, count = geojson_bytes(collection), len(collection["features"])
    file.write_bytes(data)
    typer.echo(f"exported {count} reports ({start}..{end}) to {file}")


@app.command("notify")
def notify(limit: int = typer.Option(100, help="at most this many notifications")) -> None:
    """LINE への状況のお知らせのうち、送れていないものを再送します (same retry key: never twice)."""
    from bot.reports.categories import load_categories
    from bot.reports.notifications import LinePushNotifier, retry_pending_notifications

    ctx = open_context()
    sent = retry_pending_notifications(
        ctx.factory,
        LinePushNotifier(ctx.factory, ctx.settings),
        load_categories(ctx.settings.report_categories_file),
        limit=limit,
    )
    typer.echo(f"sent {sent} pending notifications")


@app.command("replay-spool")
def replay_spool() -> None:
    """データベース障害中に一時保存した通報を登録します."""
    from bot.reports.categories import load_categories
    from bot.reports.spool import replay_spool as replay

    ctx = open_context()
    outcomes = replay(
        ctx.factory,
        ctx.settings.data_dir / "spool" / "reports",
        load_categories(ctx.settings.report_categories_file),
    )
    typer.echo(json.dumps([o.case_number for o in outcomes]))
    typer.echo(f"filed {len(outcomes)} spooled reports")
