"""The rich menu definition and its image (the upload command: tests/bot/cli/test_line.py)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from channels.line import richmenu
from channels.line.messages import MENU_TEXTS


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
