"""`madoguchi data import-garbage DIR | import-clinics FILE | import-departments FILE | import-snowplow-areas FILE`.

Every file is validated with the same `knowledge` loaders the bot uses; on any error all bad rows
are printed and nothing is applied. A valid import is stored in one transaction and is live in
every process within seconds.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from bot.cli.context import open_context
from bot.live_citydata import SINGLE_FILES, write_files
from bot.settings import load_settings
from bot.storage import citydata
from bot.storage.db import transaction
from knowledge.city import CityProfile
from knowledge.clinics import ClinicRoster
from knowledge.csvdata import CityDataError, DataProblem, decode
from knowledge.departments import DepartmentDirectory
from knowledge.garbage.calendar import FILES as GARBAGE_FILES
from knowledge.garbage.calendar import GarbageCalendar
from knowledge.snowplow import load_areas

app = typer.Typer(no_args_is_help=True)


def _read_text(path: Path) -> str:
    try:
        return decode(path.read_bytes())
    except UnicodeDecodeError as exc:
        typer.echo(f"{path.name}: 文字コードが UTF-8 でも CP932 でもありません (cannot decode)", err=True)
        raise typer.Exit(1) from exc


def _echo_warnings(warnings: list[DataProblem]) -> None:
    """What was read in a way the files do not say plainly, with how to say it plainly."""
    if warnings:
        typer.echo(f"{len(warnings)} 件の注意 (read as follows; fix the files to silence these):", err=True)
        for warning in warnings:
            typer.echo(f"  {warning}", err=True)


def _validate(kind: str, files: dict[str, str], check: Callable[[Path], Any]) -> Any:
    """Run ``check`` on a private copy of the files (stored as UTF-8); exit 1 listing every problem."""
    with tempfile.TemporaryDirectory(prefix="madoguchi-import-") as tmp:
        try:
            return check(write_files(Path(tmp), files))
        except CityDataError as exc:
            typer.echo(
                f"{len(exc.problems)} 件の誤りがあるため取り込みませんでした (nothing imported):", err=True
            )
            for problem in exc.problems:
                typer.echo(f"  {problem}", err=True)
            _echo_warnings(getattr(exc, "warnings", []))
            raise typer.Exit(1) from exc


def _store(kind: str, files: dict[str, str], actor: str) -> int:
    ctx = open_context()
    with transaction(ctx.factory) as session:
        return citydata.save_dataset(session, kind, files, actor=actor).id


def _collect_on_holidays() -> bool:
    try:
        return CityProfile.load(load_settings().city_data_dir / "city.json").collect_on_holidays
    except CityDataError:
        return True


def _single(
    kind: str, file: Path, actor: str, check: Callable[[Path], Any], describe: Callable[[Any], str]
) -> None:
    files = {SINGLE_FILES[kind]: _read_text(file)}
    result = _validate(kind, files, lambda d: check(d / SINGLE_FILES[kind]))
    dataset_id = _store(kind, files, actor)
    typer.echo(f"imported {file.name} as {kind} (dataset {dataset_id}): {describe(result)}")


@app.command("import-garbage")
def import_garbage(
    directory: Path = typer.Argument(..., exists=True, file_okay=False, help="5374.jp のデータフォルダ"),
    actor: str = typer.Option("cli", help="who is importing"),
) -> None:
    """ごみ収集データ (5374.jp: area_days.csv, area_master.csv, center.csv, target.csv, description.csv …) を
    取り込みます。"""
    files = {name: _read_text(directory / name) for name in GARBAGE_FILES if (directory / name).exists()}
    holidays = _collect_on_holidays()
    cal = _validate("garbage", files, lambda d: GarbageCalendar.load(d, collect_on_holidays=holidays))
    _echo_warnings(cal.warnings)
    dataset_id = _store("garbage", files, actor)
    typer.echo(f"imported garbage data (dataset {dataset_id}): {len(cal.areas())} areas, "
               f"{len(cal.categories())} categories, {cal.item_count()} items")  # fmt: skip


@app.command("import-clinics")
def import_clinics(file: Path = typer.Argument(..., exists=True, dir_okay=False),
                   actor: str = typer.Option("cli")) -> None:  # fmt: skip
    """休日当番医の表 (date,name,specialty,address,phone,hours,lat,lon) を取り込みます。"""
    _single("clinics", file, actor, ClinicRoster.load, lambda r: f"{len(r.days())} duty days")


@app.command("import-departments")
def import_departments(file: Path = typer.Argument(..., exists=True, dir_okay=False),
                       actor: str = typer.Option("cli")) -> None:  # fmt: skip
    """担当課の一覧 (name,reading,phone,floor,mon…sun,topics) を取り込みます。"""
    _single(
        "departments", file, actor, DepartmentDirectory.load, lambda d: f"{len(d.departments)} departments"
    )


@app.command("import-snowplow-areas")
def import_snowplow_areas(file: Path = typer.Argument(..., exists=True, dir_okay=False),
                          actor: str = typer.Option("cli")) -> None:  # fmt: skip
    """除雪の地区 (area,aliases,lat,lon,radius_m,polygon,route_ids) を取り込みます。"""
    _single("snowplow_areas", file, actor, load_areas, lambda a: f"{len(a)} areas")
