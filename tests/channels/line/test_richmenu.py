"""The rich menu definition, its image and its idempotent upload (the command: tests/bot/cli/test_line.py)."""

from __future__ import annotations

import io

import anyio
import pytest
from PIL import Image

from channels.line import richmenu
from channels.line.client import LineClient
from channels.line.fake import FakeLine
from channels.line.messages import MENU_TEXTS
from tests.support.line import ACCESS_TOKEN, FAST


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


def _upload(fake: FakeLine, image: bytes = b"\x89PNG first") -> str:
    async def go() -> str:
        async with LineClient(ACCESS_TOKEN, fake.base_url, fake.base_url, FAST) as client:
            return await richmenu.upload(client, richmenu.load_definition(), image, "image/png")

    return anyio.run(go)


def test_uploading_again_makes_no_second_menu(fake_line: FakeLine) -> None:
    """Issue 17, item 15: a retried upload created a second rich menu."""
    first = _upload(fake_line)
    assert _upload(fake_line, b"\x89PNG second") == first
    assert list(fake_line.rich_menus) == [first] and fake_line.default_rich_menu == first
    assert fake_line.rich_menus[first]["image"] == ("image/png", b"\x89PNG first")  # LINE keeps the first
    assert [c.status for c in fake_line.calls_of("richmenu_content")] == [404, 200, 200]


def test_a_create_whose_answer_was_lost_is_found_not_repeated(fake_line: FakeLine) -> None:
    fake_line.inject("richmenu", "lost")  # LINE creates it, but its answer never arrives
    first = _upload(fake_line)
    assert list(fake_line.rich_menus) == [first] and len(fake_line.calls_of("richmenu")) == 1
    assert fake_line.rich_menus[first]["image"] is not None
    other = richmenu.load_definition()
    other["name"] = "madoguchi winter menu"

    async def go() -> str:
        async with LineClient(ACCESS_TOKEN, fake_line.base_url, fake_line.base_url, FAST) as client:
            return await richmenu.upload(client, other, b"\x89PNG", "image/png", make_default=False)

    assert anyio.run(go) != first and len(fake_line.rich_menus) == 2  # a different menu is a new one
