"""`madoguchi line richmenu upload|preview`: the LINE rich menu."""

from __future__ import annotations

from pathlib import Path

import anyio
import typer

from bot.settings import load_settings
from channels.line import richmenu
from channels.line.client import LineApiError, LineClient, LineUnavailable

app = typer.Typer(no_args_is_help=True)
richmenu_app = typer.Typer(no_args_is_help=True, help="リッチメニュー (rich menu)")
app.add_typer(richmenu_app, name="richmenu")


DEFINITION_OPTION = typer.Option(
    None, "--definition", exists=True, dir_okay=False, help="default: the city folder's city/richmenu.json"
)


def _definition_file(given: Path | None) -> Path:
    """The rich menu to use: ``--definition``, else the city folder's ``city/richmenu.json`` when it has one,
    else the menu madoguchi ships."""
    if given is not None:
        return given
    folder = load_settings().city_folder()
    if folder is not None and folder.richmenu.is_file():
        return folder.richmenu
    return Path(richmenu.DEFINITION)


def _image(definition: dict, image: Path | None, font: Path | None) -> tuple[bytes, str]:
    if image is not None:
        kind = "image/png" if image.suffix.lower() == ".png" else "image/jpeg"
        return image.read_bytes(), kind
    if font is None and richmenu.find_japanese_font() is None:
        typer.echo(
            "日本語フォントが見つからないため、文字なしの画像を作ります (no Japanese font found; "
            "install fonts-noto-cjk or pass --font)",
            err=True,
        )
    return richmenu.render_image(definition, str(font) if font else None)


@richmenu_app.command("upload")
def upload(
    definition_file: Path | None = DEFINITION_OPTION,
    image: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="PNG/JPEG 2500x1686 (default: drawn from the definition)"
    ),
    font: Path | None = typer.Option(None, exists=True, dir_okay=False, help="a Japanese TTF/OTF/TTC"),
    default: bool = typer.Option(True, "--default/--no-default", help="make it every friend's menu"),
) -> None:
    """リッチメニューを LINE に登録します (LINE_API_BASE_URL / LINE_DATA_API_BASE_URL 宛て)."""
    settings = load_settings()
    token = settings.line_channel_access_token.get_secret_value()
    if not token:
        typer.echo(
            "LINE_CHANNEL_ACCESS_TOKEN が設定されていません (LINE_CHANNEL_ACCESS_TOKEN is not set)", err=True
        )
        raise typer.Exit(2)
    definition_file = _definition_file(definition_file)
    try:
        definition = richmenu.load_definition(definition_file)
    except (ValueError, KeyError) as exc:
        typer.echo(f"{definition_file}: {exc}", err=True)
        raise typer.Exit(1) from exc
    data, content_type = _image(definition, image, font)

    async def run() -> str:
        async with LineClient(
            token, settings.line_api_base_url, settings.line_data_api_base_url
        ) as line_client:
            return await richmenu.upload(line_client, definition, data, content_type, make_default=default)

    try:
        rich_menu_id = anyio.run(run)
    except (LineApiError, LineUnavailable) as exc:
        typer.echo(f"登録できませんでした (upload failed): {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"rich menu {rich_menu_id} uploaded" + (" and set as default" if default else ""))


@richmenu_app.command("preview")
def preview(
    out: Path = typer.Argument(..., dir_okay=False, help="where to write the PNG"),
    font: Path | None = typer.Option(None, exists=True, dir_okay=False),
    definition_file: Path | None = DEFINITION_OPTION,
) -> None:
    """リッチメニュー画像を書き出します (no upload)."""
    data, _ = _image(richmenu.load_definition(_definition_file(definition_file)), None, font)
    out.write_bytes(data)
    typer.echo(f"wrote {out} ({len(data)} bytes)")
