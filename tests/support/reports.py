"""Report fixtures: the city's category table, drafts near a base point, filing at a given moment, a fake
notifier, resident photos."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import ExifTags, Image
from sqlalchemy.orm import Session, sessionmaker

from bot.reports.categories import load_categories
from bot.reports.service import ReportDraft, SubmitOutcome, submit_report
from bot.settings import REPO_ROOT
from bot.storage.db import transaction
from knowledge.clock import CityClock, to_city_time

CATEGORIES = load_categories(REPO_ROOT / "knowledge" / "data" / "city" / "report_categories.json")
BASE = (35.681200, 139.767100)
NOW = datetime(2025, 6, 1, 3, 0)  # naive UTC, 12:00 in Japan


def north(metres: float) -> tuple[float, float]:
    return BASE[0] + metres / 111_195.0, BASE[1]


def clock_at(utc_naive: datetime) -> CityClock:
    """A city clock stopped at this (naive UTC) moment."""
    return CityClock(to_city_time(utc_naive).replace(tzinfo=None))


def draft(
    category: str = "road_damage",
    where: tuple[float, float] | None = BASE,
    resident_key: str = "line-r1",
    channel: str = "line",
    **extra: object,
) -> ReportDraft:
    lat, lon = where if where else (None, None)
    return ReportDraft(
        category=category,
        description=str(extra.pop("description", "穴があいています")),
        reporter=resident_key,
        channel=channel,
        lat=lat,
        lon=lon,
        **extra,  # type: ignore[arg-type]
    )


def submit(factory: sessionmaker[Session], d: ReportDraft, now: datetime = NOW) -> SubmitOutcome:
    """File `d` as of `now` (naive UTC)."""
    with transaction(factory) as session:
        return submit_report(session, d, CATEGORIES, clock=clock_at(now))


class FakeNotifier:
    """Records what would be pushed; `ok=False` fails like LINE being down."""

    def __init__(self, ok: bool = True) -> None:
        self.ok = ok
        self.calls: list[tuple[str, list[str], str]] = []

    def notify(self, resident_key: str, texts: list[str], retry_key: str) -> bool:
        self.calls.append((resident_key, texts, retry_key))
        if not self.ok:
            raise RuntimeError("LINE is down")
        return True


SERIAL = "CAMSERIAL-987654321"


def jpeg_with_exif(width: int = 40, height: int = 20) -> bytes:
    """A small JPEG carrying GPS (35°40'52.32"N 139°45'36"E), a camera serial and orientation 6 (turn 90°)."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Orientation] = 6
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.BodySerialNumber] = SERIAL
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (35.0, 40.0, 52.32)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (139.0, 45.0, 36.0)
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("1", (width, height), 0).save(buf, "PNG", optimize=True)
    return buf.getvalue()
