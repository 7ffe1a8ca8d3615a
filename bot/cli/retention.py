"""`madoguchi retention run`: apply the personal-data retention periods now (the gateway also runs it daily)."""

from __future__ import annotations

import json

import typer

from bot.cli.context import open_context

app = typer.Typer(no_args_is_help=True)


@app.command("run")
def run_command(as_json: bool = typer.Option(False, "--json", help="print the counts as JSON")) -> None:
    """保存期間を過ぎた個人データを削除します (delete personal data past its retention period)."""
    from bot.run.retention import run_retention

    ctx = open_context()
    counts = run_retention(ctx.factory, ctx.settings)
    if as_json:
        typer.echo(json.dumps(counts))
        return
    s = ctx.settings
    typer.echo(
        f"保存期間: メッセージ {s.retention_messages_days}日, 未回答 {s.retention_unanswered_days}日, "
        f"完了した通報の写真 {s.retention_closed_report_photos_days}日, "
        f"LINE ブロック後 {s.retention_unfollowed_line_days}日, "
        f"管理画面のサインイン記録 {s.retention_login_attempts_days}日"
    )
    for kind, count in counts.items():
        typer.echo(f"  {kind}: {count} 件削除 (deleted)")
