"""Helpers for the whole-stack tests: the stack's own database, signed LINE webhooks, photos with EXIF."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from PIL import ExifTags, Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import privacy
from bot.run.devstack import StackProcess
from bot.settings import load_settings
from bot.storage.db import make_engine, session_factory
from bot.storage.line_inbox import PENDING, PROCESSING, LineInboxRow
from channels.line.client import retry_key
from channels.line.fake import FakeLine, signed_headers, webhook_body

CHANNEL_SECRET = "e2e-channel-secret"
ACCESS_TOKEN = "e2e-access-token"
SNOWPLOW_TOKEN = "e2e-snowplow-token"
# Saturday 9 January 2027, 10:00 in the city: Monday 11 is 成人の日 (a holiday; the demo city does not collect
# on holidays), Sunday 10 has its own clinics on duty (Monday 11 others), and it is snow season (12-01…03-31).
CLOCK = "2027-01-09T10:00:00"
CAMERA_SERIAL = "E2E-CAMERA-SERIAL-424242"


# The stack's database ----------------------------------------------------------------------------------------


@contextmanager
def stack_db(stack: StackProcess) -> Iterator[Session]:
    """A session on the stack's database (the SQLite file in its data dir unless a URL was given)."""
    settings = load_settings(
        data_dir=stack.data_dir, database_url=stack.env.get("MADOGUCHI_DATABASE_URL", ""), _env_file=None
    )
    engine = make_engine(settings.db_url)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def resident_key(stack: StackProcess, channel: str, resident_id: str) -> str:
    """The resident_key the stack stores a resident under."""
    return privacy.resident_key(stack.env["MADOGUCHI_SECRET_KEY"], channel, resident_id)


def unfinished_line_events(stack: StackProcess) -> int:
    with stack_db(stack) as session:
        return session.scalar(select(func.count()).where(LineInboxRow.status.in_((PENDING, PROCESSING)))) or 0


def wait_line_idle(stack: StackProcess, timeout_s: float = 90.0) -> None:
    """Until the stack's LINE inbox has nothing pending or in processing."""
    deadline = time.monotonic() + timeout_s
    while (left := unfinished_line_events(stack)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"{left} LINE events still unfinished after {timeout_s:.0f} s:\n{stack.log_tail()}"


# LINE --------------------------------------------------------------------------------------------------------


def new_line_user() -> str:
    return "U" + uuid.uuid4().hex


def post_webhook(stack: StackProcess, events: list[dict[str, Any]]) -> httpx.Response:
    body = webhook_body(events)
    return httpx.post(
        f"{stack.url}/line/webhook", content=body, headers=signed_headers(CHANNEL_SECRET, body), timeout=10
    )


def deliveries_for(fake: FakeLine, event: dict[str, Any]) -> list[dict[str, Any]]:
    """What reached the resident in answer to `event`: a reply with its token, or a push with its retry key."""
    token, key = event.get("replyToken"), retry_key(event["webhookEventId"])
    return [d for d in list(fake.delivered) if d.get("reply_token") == token or d.get("retry_key") == key]


def texts_of(deliveries: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for d in deliveries for m in d["messages"] if m.get("type") == "text"]


def converse(stack: StackProcess, fake: FakeLine, event: dict[str, Any], timeout_s: float = 30.0) -> str:
    """Send one signed event and wait for its answer; returns the answer's text."""
    response = post_webhook(stack, [event])
    assert response.status_code == 200, response.text
    assert fake.wait_for(lambda f: deliveries_for(f, event), timeout_s), (
        f"no answer to {event.get('message')}:\n{stack.log_tail()}"
    )
    return "\n".join(texts_of(deliveries_for(fake, event)))


# Photos ------------------------------------------------------------------------------------------------------


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    return float(degrees), float(minutes), round((minutes_full - minutes) * 60, 4)


def jpeg_with_gps(lat: float, lon: float, size: tuple[int, int] = (64, 48)) -> bytes:
    """A real JPEG as a phone writes it: EXIF with the GPS position, the camera's make and serial number."""
    image = Image.new("RGB", size, (90, 110, 130))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "E2ECam"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.BodySerialNumber] = CAMERA_SERIAL
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = _dms(lat)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = _dms(lon)
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif)
    data = buf.getvalue()
    assert CAMERA_SERIAL.encode() in data and b"Exif" in data  # the fixture really carries what must go
    return data


def assert_no_metadata(data: bytes) -> None:
    """A stored photo: a JPEG with no EXIF (no GPS, no camera serial) and nothing else riding along."""
    assert data[:3] == b"\xff\xd8\xff"
    assert b"Exif" not in data and CAMERA_SERIAL.encode() not in data and b"E2ECam" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
