"""The rich menu definition, its image, and `madoguchi line richmenu upload` against the fake LINE API."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from channels.line import richmenu
from channels.line.messages import MENU_TEXTS
from tests.support.fake_line import FakeLine
from tests.support.line import ACCESS_TOKEN


def test_definition_has_the_six_menu_items() -> None:
    definition = richmenu.load_definition()
    assert definition["size"] == {"width": 2500, "height": 1686}
    actions = [a["action"] for a in definition["areas"]]
    assert [a["text"] for a in actions] == list(MENU_TEXTS)
    assert all(a["type"] == "message" for a in actions)
    covered = sum(a["bounds"]["width"] * a["bounds"]["height"] for a in definition["areas"])
    assert covered == 2500 * 1686


def test_invalid_definition_is_refused() -> None:
    definition = richmenu.load_definition()
    definition["areas"][0]["bounds"]["width"] = 3000
    with pytest.raises(ValueError):
        richmenu.validate(definition)


def test_image_is_2500x1686_png_under_1mb() -> None:
    data, content_type = richmenu.render_image(richmenu.load_definition())
    assert content_type == "image/png" and len(data) < 1_000_000
    assert Image.open(io.BytesIO(data)).size == (2500, 1686)


def test_cli_upload_through_api_base_url(
    fake_line: FakeLine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.cli import app

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
    from bot.cli import app

    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "")
    result = CliRunner().invoke(app, ["line", "richmenu", "upload"])
    assert result.exit_code == 2 and "LINE_CHANNEL_ACCESS_TOKEN" in result.output
