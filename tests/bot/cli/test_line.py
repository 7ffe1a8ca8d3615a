"""`madoguchi line richmenu upload|preview` against the fake LINE API."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from channels.line.fake import FakeLine
from tests.support.line import ACCESS_TOKEN


def test_cli_upload_through_api_base_url(
    fake_line: FakeLine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in {
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE_URL": fake_line.base_url,
        "LINE_DATA_API_BASE_URL": fake_line.base_url,
        "MADOGUCHI_DATA_DIR": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["line", "richmenu", "upload"])
    assert result.exit_code == 0, result.output
    [(menu_id, menu)] = fake_line.rich_menus.items()
    assert menu_id in result.output
    assert menu["definition"]["chatBarText"] == "メニュー"
    assert menu["image"][0] == "image/png"
    assert fake_line.default_rich_menu == menu_id


def test_cli_upload_without_token_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "")
    result = CliRunner().invoke(app, ["line", "richmenu", "upload"])
    assert result.exit_code == 2 and "LINE_CHANNEL_ACCESS_TOKEN" in result.output


def test_cli_preview_writes_the_menu_image(tmp_path: Path) -> None:
    out = tmp_path / "menu.png"
    result = CliRunner().invoke(app, ["line", "richmenu", "preview", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG")


def test_cli_upload_takes_the_city_folders_menu(
    fake_line: FakeLine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import json
    import shutil

    from channels.line import richmenu

    city = tmp_path / "city-folder"
    shutil.copytree(Path(__file__).resolve().parents[2] / "data" / "cities" / "kawabe", city)
    menu = json.loads(Path(richmenu.DEFINITION).read_text(encoding="utf-8"))
    menu["chatBarText"] = "かわべ町メニュー"
    (city / "city" / "richmenu.json").write_text(json.dumps(menu, ensure_ascii=False), encoding="utf-8")
    for name, value in {
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE_URL": fake_line.base_url,
        "LINE_DATA_API_BASE_URL": fake_line.base_url,
        "MADOGUCHI_DATA_DIR": str(tmp_path / "var"),
        "MADOGUCHI_CITY_DIR": str(city),
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["line", "richmenu", "upload"])
    assert result.exit_code == 0, result.output
    [(_, uploaded)] = fake_line.rich_menus.items()
    assert uploaded["definition"]["chatBarText"] == "かわべ町メニュー"
