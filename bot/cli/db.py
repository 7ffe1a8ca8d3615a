"""`madoguchi db status|upgrade`: the database schema's revision, and bringing it to the newest.

Every process also migrates as it starts (`bot.storage.db.migrate`); `upgrade` is for doing it on purpose
before a restart (docs/deploy.md, Upgrades), `status` for deploy scripts and monitoring (exit 1 when behind).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from sqlalchemy.exc import OperationalError

from bot.settings import load_settings
from bot.storage.db import migrate, schema_revisions

app = typer.Typer(no_args_is_help=True)
T = TypeVar("T")


def _reachable(step: Callable[[], T]) -> T:
    try:
        return step()
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        typer.echo(f"データベースに接続できません (cannot reach the database): {reason}", err=True)
        raise typer.Exit(2) from None


def _shown(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "(空のデータベース / empty database)"


@app.command("status")
def status_command() -> None:
    """スキーマの版を表示します。最新でなければ終了コード 1 (show the schema revision; exit 1 when behind)."""
    settings = load_settings()
    current, heads = _reachable(lambda: schema_revisions(settings.db_url))
    typer.echo(f"現在 (current): {_shown(current)}")
    typer.echo(f"最新 (newest):  {_shown(heads)}")
    if current != heads:
        typer.echo("未適用の更新があります: madoguchi db upgrade を実行してください (the schema is behind)")
        raise typer.Exit(1)
    typer.echo("最新です (up to date)")


@app.command("upgrade")
def upgrade_command() -> None:
    """スキーマを最新の版に更新します (bring the schema to the newest revision)."""
    settings = load_settings()
    settings.ensure_dirs()
    before, heads = _reachable(lambda: schema_revisions(settings.db_url))
    _reachable(lambda: migrate(settings.db_url))
    after, _ = schema_revisions(settings.db_url)
    if before == after:
        typer.echo(f"変更なし: すでに最新です (already up to date: {_shown(after)})")
    else:
        typer.echo(f"更新しました (upgraded): {_shown(before)} → {_shown(after)}")
    if after != heads:  # cannot happen unless another version of madoguchi migrated meanwhile
        typer.echo(f"最新になっていません (not at the newest: {_shown(heads)})", err=True)
        raise typer.Exit(1)
