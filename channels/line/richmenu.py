"""The rich menu: definition (`richmenu.json`), its image (drawn with Pillow at upload time) and the upload.

Pillow is imported only when drawing, so the webhook path never loads it.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from channels.line.client import LineClient, LineUnavailable

DEFINITION = Path(__file__).with_name("richmenu.json")
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansJP-Bold.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/takao-gothic/TakaoPGothic.ttf",
    "/System/Library/Fonts/ヒラギノ角ゴシック W6.ttc",
    "C:/Windows/Fonts/meiryob.ttc",
)
COLOURS = ("#1B6E53", "#2E7DB5", "#C4513B", "#4F6D8A", "#B7791F", "#6B4E9B")


def load_definition(path: Path = DEFINITION) -> dict[str, Any]:
    definition = json.loads(path.read_text(encoding="utf-8"))
    validate(definition)
    return definition


def validate(definition: dict[str, Any]) -> None:
    """The limits LINE enforces, checked before anything is uploaded."""
    size = definition["size"]
    if size["width"] != 2500 or size["height"] not in (1686, 843):
        raise ValueError("rich menu size must be 2500x1686 or 2500x843")
    if not 1 <= len(definition["areas"]) <= 20:
        raise ValueError("a rich menu has 1 to 20 areas")
    if len(definition.get("chatBarText", "")) > 14:
        raise ValueError("chatBarText is at most 14 characters")
    for area in definition["areas"]:
        b = area["bounds"]
        if (
            b["x"] < 0
            or b["y"] < 0
            or b["x"] + b["width"] > size["width"]
            or b["y"] + b["height"] > size["height"]
        ):
            raise ValueError(f"area {area} lies outside the menu")
        action = area["action"]
        if action.get("type") == "message" and not 0 < len(action.get("text", "")) <= 300:
            raise ValueError("message action text must be 1 to 300 characters")
        if len(action.get("label", "")) > 20:
            raise ValueError("action label is at most 20 characters")


def find_japanese_font() -> str | None:
    """A font that has Japanese glyphs: a known path, else what fontconfig offers for `:lang=ja`."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=ja", "file"], capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.SubprocessError):
            return None
        files = [line.split(":")[0].strip() for line in out.stdout.splitlines() if line.strip()]
        return files[0] if files else None
    return None


def render_image(definition: dict[str, Any], font_path: str | None = None) -> tuple[bytes, str]:
    """A PNG with one coloured cell per area and its label (labels only when a Japanese font exists)."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = definition["size"]["width"], definition["size"]["height"]
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font_path = font_path or find_japanese_font()
    font = ImageFont.truetype(font_path, 110) if font_path else None
    for i, area in enumerate(definition["areas"]):
        b = area["bounds"]
        box = (b["x"], b["y"], b["x"] + b["width"] - 1, b["y"] + b["height"] - 1)
        draw.rectangle(box, fill=COLOURS[i % len(COLOURS)], outline="white", width=12)
        label = area["action"].get("label") or area["action"].get("text") or ""
        if font is not None and label:
            cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
            size = 110
            while size > 40 and draw.textlength(label, font=font) > b["width"] - 80:
                size -= 10
                font = ImageFont.truetype(font_path, size)  # type: ignore[arg-type]
            draw.text((cx, cy), label, fill="white", font=font, anchor="mm")
            font = ImageFont.truetype(font_path, 110)  # type: ignore[arg-type]
    buf = io.BytesIO()
    image.save(buf, "PNG", optimize=True)
    data = buf.getvalue()
    if len(data) > 1_000_000:
        raise ValueError("rich menu image over 1 MB")
    return data, "image/png"


def _fingerprint(menu: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two menus the same menu: name, size, chat bar text, and each area's place and action."""
    areas = tuple(
        (
            tuple(sorted((area.get("bounds") or {}).items())),
            tuple(sorted((k, str(v)) for k, v in (area.get("action") or {}).items())),
        )
        for area in menu.get("areas") or []
    )
    return menu.get("name"), tuple(sorted((menu.get("size") or {}).items())), menu.get("chatBarText"), areas


async def find_existing(line_client: LineClient, definition: dict[str, Any]) -> str | None:
    """The id of a menu already on the channel with this definition, if any."""
    wanted = _fingerprint(definition)
    for menu in await line_client.list_rich_menus():
        if _fingerprint(menu) == wanted and menu.get("richMenuId"):
            return str(menu["richMenuId"])
    return None


async def upload(
    line_client: LineClient,
    definition: dict[str, Any],
    image: bytes,
    content_type: str,
    make_default: bool = True,
) -> str:
    """Create the menu, upload its image, and (by default) make it every friend's menu; returns its id.

    Idempotent: a menu with the same definition already on the channel (an earlier run, or a create whose
    answer was lost) is reused and gets its image only if it has none, so running it again, or after a failure,
    never leaves a second menu. LINE keeps a menu's first image: to change the picture, rename the menu.
    """
    validate(definition)
    rich_menu_id = await find_existing(line_client, definition)
    if rich_menu_id is None:
        try:
            rich_menu_id = await line_client.create_rich_menu(definition)
        except LineUnavailable as exc:
            if not exc.outcome_unknown:
                raise
            rich_menu_id = await find_existing(line_client, definition)  # did the lost create land?
            if rich_menu_id is None:
                raise
    if not await line_client.rich_menu_has_image(rich_menu_id):
        await line_client.upload_rich_menu_image(rich_menu_id, image, content_type)
    if make_default:
        await line_client.set_default_rich_menu(rich_menu_id)
    return rich_menu_id
