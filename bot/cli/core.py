"""Top-level commands: up, train, seed, index."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli.context import open_context
from bot.run import training
from bot.settings import load_settings
from bot.storage import accounts, faq_repo
from bot.storage.db import transaction


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


def up(
    workers: str = typer.Option(
        "1",
        help="gateway workers, Rasa instances and action servers: 1–8, or auto (one per core the memory "
        "allows; PostgreSQL)",
    ),
) -> None:
    """Rasa・アクションサーバー・ゲートウェイを起動します (start the whole stack)."""
    from bot.run.launcher import run
    from bot.run.plan import MAX_WORKERS, auto_workers

    settings = load_settings()
    if workers.strip().lower() == "auto":
        count, reason = auto_workers(settings)
        typer.echo(f"--workers auto: {reason}")
    elif workers.strip().isdigit() and 1 <= int(workers) <= MAX_WORKERS:
        count = int(workers)
    else:
        raise typer.BadParameter(
            f"1〜{MAX_WORKERS} の数か auto を指定してください (got {workers!r})", param_hint="--workers"
        )
    if training.train(settings.model_dir):
        typer.echo("Rasa model retrained.")
    raise typer.Exit(run(settings, workers=count))


def train(force: bool = typer.Option(False, help="train even when nothing changed")) -> None:
    """Rasa を学習します(変更があったときだけ)."""
    settings = load_settings()
    if not training.train(settings.model_dir, force=force):
        typer.echo("Rasa model is current (学習データに変更はありません).")


FIRST_ACCOUNT = "madoguchi admin create-user NAME --role admin"


def seed() -> None:
    """市のフォルダ (MADOGUCHI_CITY_DIR、未設定ならデモ市) の FAQ を、データベースが空のときだけ読み込みます。
    管理画面のアカウントがまだなければ、最初の管理者を作るコマンドを表示します (and says how to create the first
    console account)."""
    from bot.cli.kb import problem_line
    from knowledge.kb_io import read_kb_file

    ctx = open_context()
    result = read_kb_file(ctx.settings.kb_seed_file)
    if result.errors:
        for err in result.errors:
            typer.echo(problem_line(err), err=True)
        raise typer.Exit(1)
    with transaction(ctx.factory) as session:
        added = faq_repo.seed_if_empty(session, result.entries)
        no_account = not accounts.list_users(session)
    typer.echo(f"seeded {added} FAQ entries" if added else "database already has FAQ entries; nothing seeded")
    if no_account:
        host = "localhost" if ctx.settings.host in ("0.0.0.0", "::") else ctx.settings.host
        typer.echo(
            f"管理画面 (console): http://{host}:{ctx.settings.port}/admin にはまだアカウントがありません。"
            f"最初の管理者を作ってください (create the first admin account):\n  {FIRST_ACCOUNT}"
        )


def index() -> None:
    """FAQ 検索インデックスを作成します(埋め込みはキャッシュされます)."""
    from bot.live_search import LiveSearcher

    ctx = open_context()
    s = ctx.settings
    searcher = LiveSearcher.from_settings(ctx.factory, s)
    with progress_bar() as bar:
        task = bar.add_task("インデックス作成 (indexing)", total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        searcher.warm_up(progress=report)
    typer.echo(f"index ready at KB revision {searcher.revision}")


def register(app: typer.Typer) -> None:
    for command in (up, train, seed, index):
        app.command()(command)
