"""`madoguchi city init DIR --name 名前 | check DIR | load DIR`: the city folder (docs/city-setup.md).

`load` validates the whole folder first and, only when there is no error, stores the FAQ (replacing the
knowledge base) and the garbage, clinic, department and snowplow datasets in one transaction. city.json, the
report categories, the synonyms and the rich menu are read from the folder named by MADOGUCHI_CITY_DIR, so
`load` refuses a folder other than that one.
"""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.city_files import CityProblem, check_folder
from bot.cli.city_skeleton import write_skeleton
from bot.cli.context import open_context
from bot.live_citydata import SINGLE_FILES
from bot.storage import citydata, faq_repo
from bot.storage.db import transaction
from knowledge.city import CityFolder
from knowledge.csvdata import decode
from knowledge.garbage.calendar import FILES as GARBAGE_FILES
from knowledge.kb_io import read_kb_file

app = typer.Typer(no_args_is_help=True)

FOLDER = typer.Argument(..., file_okay=False, help="市のフォルダ (faq.csv, synonyms.csv, city/)")


@app.command("init")
def init(
    directory: Path = FOLDER, name: str = typer.Option(..., "--name", help="市町村の名前 (例: かわべ町)")
) -> None:
    """市のフォルダの見本 (見出しと例の行・説明の README) を作ります (write a commented skeleton)."""
    try:
        written = write_skeleton(directory, name)
    except FileExistsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{len(written)} files written to {directory}. 次に: madoguchi city check {directory}")


def _report(directory: Path) -> list[CityProblem]:
    problems = check_folder(directory)
    errors = [p for p in problems if p.error]
    for problem in problems:
        typer.echo(str(problem), err=True)
    if errors:
        typer.echo(f"{len(errors)} 件のエラー、{len(problems) - len(errors)} 件の注意 "
                   f"({len(errors)} errors: fix them and run check again)", err=True)  # fmt: skip
    return errors


@app.command("check")
def check(directory: Path = FOLDER) -> None:
    """市のフォルダのすべてのファイルを検証し、問題をファイル・行・直し方で示します (exit 1 on any error)."""
    if _report(directory):
        raise typer.Exit(1)
    typer.echo(f"{directory}: 誤りはありません (no errors)")


def _texts(directory: Path, names: tuple[str, ...] | list[str]) -> dict[str, str]:
    return {name: decode((directory / name).read_bytes()) for name in names if (directory / name).exists()}


@app.command("load")
def load(directory: Path = FOLDER, actor: str = typer.Option("cli", help="who is loading")) -> None:
    """市のフォルダを一度に取り込みます。誤りが1つでもあれば何も取り込みません (all or nothing)."""
    ctx = open_context()
    configured = ctx.settings.city_folder()
    if configured is None or configured.root.resolve() != directory.resolve():
        typer.echo(
            f"MADOGUCHI_CITY_DIR を {directory} にしてから取り込んでください。city.json や通報の種類はそこから"
            f"読まれます (set MADOGUCHI_CITY_DIR={directory} first; nothing loaded)",
            err=True,
        )
        raise typer.Exit(1)
    if _report(directory):
        typer.echo("何も取り込みませんでした (nothing loaded)", err=True)
        raise typer.Exit(1)
    folder = CityFolder(directory)
    entries = read_kb_file(folder.faq).entries
    datasets = {"garbage": _texts(folder.data_dir, list(GARBAGE_FILES))}
    for kind, name in SINGLE_FILES.items():
        datasets[kind] = _texts(folder.data_dir, (name,))
    with transaction(ctx.factory) as session:
        counts = faq_repo.apply_import(session, entries, actor=actor, replace=True)
        for kind, files in datasets.items():
            citydata.save_dataset(session, kind, files, actor=actor)
    typer.echo(
        f"loaded {directory}: FAQ {len(entries)} entries (created {counts['create']}, updated "
        f"{counts['update']}, deleted {counts['delete']}); {', '.join(datasets)}"
    )
