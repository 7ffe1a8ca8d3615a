"""Resident photos: check, decode safely, read GPS, strip every bit of metadata, store as JPEG on disk.

`PhotoStore(root).store_photo(data, content_type)` is the one way a photo enters madoguchi (LINE image
messages and the widget upload both use it). The stored file is a fresh JPEG re-encoded from pixels only, so
EXIF (camera serial, GPS, time), XMP, IPTC and ICC data never leave the resident's phone into our files. The
GPS position, read before stripping, is kept beside the photo (`<id>.json`) so the report form can offer it.

A 20-megapixel photo costs about a CPU-second to decode: at most `decode_concurrency` photos are decoded at once
in a process (a semaphore; the rest wait up to `DECODE_WAIT_S`, then are refused as busy), and the store refuses
photos once its files fill `quota_bytes` (`PhotoQuotaFull`, with a message for the resident).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import secrets
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, ImageOps

from bot.settings import Settings
from bot.storage.db import utcnow

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 20_000_000
MAX_EDGE = 2560  # stored photos are scaled down to this long edge: plenty for staff, small on disk
DEFAULT_DECODE_CONCURRENCY = 2
DECODE_WAIT_S = 15.0  # a photo waits this long for a decode slot, then is refused as busy
PHOTO_ID = re.compile(r"^[0-9a-f]{32}$")
HEIC_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"hevx",
    b"heim",
    b"heis",
    b"hevm",
    b"hevs",
    b"mif1",
    b"msf1",
    b"avif",
}

MSG_TYPE = "写真は JPEG・PNG・WebP 形式で送ってください。(unsupported file type)"
MSG_HEIC = (
    "HEIC 形式の写真には対応していません。iPhone の場合は「設定」→「カメラ」→「フォーマット」で"
    "「互換性優先」を選んで撮影するか、写真のスクリーンショットを送ってください。(HEIC is not supported)"
)
MSG_BROKEN = "写真を読み込めませんでした。別の写真を送ってください。(the image could not be decoded)"
MSG_EMPTY = "写真のデータが空です。もう一度送ってください。(empty file)"
MSG_UNAVAILABLE = (
    "ただいま写真を保存できません。写真なしで通報を続けられます。(the photo store is unavailable)"
)
MSG_BUSY = "ただいま写真の処理が混み合っています。少し待ってから、もう一度送ってください。(busy: too many photos at once)"
MSG_FULL = (
    "写真の保存容量がいっぱいのため、いまは写真を受け付けられません。写真なしで通報を続けられます。"
    "(the photo store is full)"
)


class PhotoRejected(ValueError):
    """This photo cannot be accepted; `message_ja` says why, for the resident. `status` is the HTTP status."""

    def __init__(self, message_ja: str, status: int = 400) -> None:
        super().__init__(message_ja)
        self.message_ja = message_ja
        self.status = status


class PhotoStoreUnavailable(RuntimeError):
    """The photo was fine but could not be written (disk full, permissions): go on without it."""

    message_ja = MSG_UNAVAILABLE


class PhotoQuotaFull(PhotoStoreUnavailable):
    """The stored photos fill the store's quota (`Settings.photo_quota_mb`): staff must free space or raise it."""

    message_ja = MSG_FULL


_DECODE_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_DECODE_SLOTS_LOCK = threading.Lock()


def decode_slots(concurrency: int) -> threading.BoundedSemaphore:
    """The process's decode slots: one semaphore per size, shared by every `PhotoStore` of the process."""
    with _DECODE_SLOTS_LOCK:
        return _DECODE_SLOTS.setdefault(concurrency, threading.BoundedSemaphore(concurrency))


@dataclass(frozen=True)
class StoredPhoto:
    photo_id: str
    path: Path
    gps: tuple[float, float] | None
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The image format from the magic bytes: JPEG | PNG | WEBP | HEIC, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS:
        return "HEIC"
    return None


def _rational(value: object) -> float:
    if isinstance(value, tuple) and len(value) == 2:
        num, den = value
        return float(num) / float(den) if den else 0.0
    return float(value)  # type: ignore[arg-type]


def read_gps(image: Image.Image) -> tuple[float, float] | None:
    """(lat, lon) in decimal degrees from EXIF GPS, or None when absent, zero or nonsense."""
    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # corrupt EXIF must never stop a report
        return None
    try:
        lat_dms, lon_dms = gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLongitude)
        if not lat_dms or not lon_dms:
            return None
        lat = sum(_rational(v) / div for v, div in zip(lat_dms, (1, 60, 3600), strict=False))
        lon = sum(_rational(v) / div for v, div in zip(lon_dms, (1, 60, 3600), strict=False))
        if str(gps.get(ExifTags.GPS.GPSLatitudeRef, "N")).upper().startswith("S"):
            lat = -lat
        if str(gps.get(ExifTags.GPS.GPSLongitudeRef, "E")).upper().startswith("W"):
            lon = -lon
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return round(lat, 7), round(lon, 7)


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


class PhotoStore:
    def __init__(
        self,
        root: Path,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        decode_concurrency: int = DEFAULT_DECODE_CONCURRENCY,
        quota_bytes: int = 0,
    ) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.decode_concurrency = decode_concurrency
        self.quota_bytes = quota_bytes  # 0: no cap

    @classmethod
    def from_settings(cls, settings: Settings) -> PhotoStore:
        return cls(
            settings.uploads_dir / "photos",
            max_bytes=settings.photo_max_bytes,
            max_pixels=settings.photo_max_pixels,
            decode_concurrency=settings.photo_decode_concurrency,
            quota_bytes=settings.photo_quota_mb * 1024 * 1024,
        )

    def used_bytes(self) -> int:
        """What the stored photos (and their sidecars) take on disk."""
        try:
            with os.scandir(self.root) as entries:
                return sum(e.stat().st_size for e in entries if e.is_file(follow_symlinks=False))
        except FileNotFoundError:
            return 0

    def _check_quota(self, adding: int) -> None:
        if not self.quota_bytes:
            return
        used = self.used_bytes()
        if used >= self.quota_bytes or used + adding > self.quota_bytes:
            log.error("photo store %s is full: %d of %d bytes used", self.root, used, self.quota_bytes)
            raise PhotoQuotaFull(f"photo quota reached: {used} of {self.quota_bytes} bytes used")

    def _decode(
        self, data: bytes, content_type: str | None
    ) -> tuple[Image.Image, tuple[float, float] | None]:
        if not data:
            raise PhotoRejected(MSG_EMPTY)
        if len(data) > self.max_bytes:
            raise PhotoRejected(
                f"写真のサイズが大きすぎます({len(data) / 1048576:.1f}MB)。"
                f"{self.max_bytes // 1048576}MB 以下の写真を送ってください。(file too large)",
                413,
            )
        kind = sniff(data)
        if kind == "HEIC" or (kind is None and (content_type or "").lower() in ("image/heic", "image/heif")):
            raise PhotoRejected(MSG_HEIC, 415)
        if kind is None:
            raise PhotoRejected(MSG_TYPE, 415)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data), formats=[kind])
                width, height = image.size
                if width * height > self.max_pixels:
                    raise PhotoRejected(
                        f"写真の画素数が大きすぎます({width}×{height})。{self.max_pixels // 1_000_000}"
                        "メガピクセル以下の写真を送ってください。(too many pixels)",
                        413,
                    )
                gps = read_gps(image)
                image.load()
        except PhotoRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PhotoRejected(
                "写真の画素数が大きすぎます。小さい写真を送ってください。(too many pixels)", 413
            ) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise PhotoRejected(MSG_BROKEN) from exc
        return image, gps

    def store_photo(
        self, data: bytes, content_type: str | None = None, owner: str | None = None
    ) -> StoredPhoto:
        """Check, clean and store one photo. Raises `PhotoRejected` or `PhotoStoreUnavailable`.

        `owner` (the resident key, optional) is recorded so a report only uses its own photos.
        """
        self._check_quota(0)  # already full: refuse before spending a CPU-second on decoding
        slots = decode_slots(self.decode_concurrency)
        if not slots.acquire(timeout=DECODE_WAIT_S):
            raise PhotoRejected(MSG_BUSY, 503)
        try:
            clean, gps = self._clean(data, content_type)
            buf = io.BytesIO()
            clean.save(buf, "JPEG", quality=85, optimize=True)
        finally:
            slots.release()
        self._check_quota(buf.tell())
        photo_id = secrets.token_hex(16)
        path = self.root / f"{photo_id}.jpg"
        meta = {
            "gps": list(gps) if gps else None,
            "width": clean.width,
            "height": clean.height,
            "owner": owner,
            "created_at": utcnow().isoformat(),
        }
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(buf.getvalue())
            os.replace(tmp, path)
            self._meta_path(photo_id).write_text(json.dumps(meta), encoding="utf-8")
        except OSError as exc:
            log.error("photo store unavailable (%s): %s", self.root, exc)
            for leftover in (path.with_suffix(".tmp"), path, self._meta_path(photo_id)):
                with contextlib.suppress(OSError):
                    leftover.unlink(missing_ok=True)
            raise PhotoStoreUnavailable(str(exc)) from exc
        return StoredPhoto(photo_id=photo_id, path=path, gps=gps, width=clean.width, height=clean.height)

    def _clean(self, data: bytes, content_type: str | None) -> tuple[Image.Image, tuple[float, float] | None]:
        """The pixels only, upright, flattened to RGB and scaled down; and the GPS read before."""
        image, gps = self._decode(data, content_type)
        try:
            upright = ImageOps.exif_transpose(image) or image
            clean = _flatten(upright)
            clean.thumbnail((MAX_EDGE, MAX_EDGE))
        except (OSError, ValueError) as exc:
            raise PhotoRejected(MSG_BROKEN) from exc
        clean.info = {}  # nothing from the original rides along (exif, xmp, icc, comments)
        return clean, gps

    def _meta_path(self, photo_id: str) -> Path:
        return self.root / f"{photo_id}.json"

    def path_for(self, photo_id: str) -> Path | None:
        """The stored JPEG, or None for an unknown or malformed id."""
        if not isinstance(photo_id, str) or not PHOTO_ID.match(photo_id):
            return None
        path = self.root / f"{photo_id}.jpg"
        return path if path.is_file() else None

    def info(self, photo_id: str) -> dict | None:
        """What was recorded at upload (gps, width, height, owner), or None if the photo is not there."""
        if self.path_for(photo_id) is None:
            return None
        try:
            return json.loads(self._meta_path(photo_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"gps": None, "owner": None}

    def gps_of(self, photo_id: str) -> tuple[float, float] | None:
        gps = (self.info(photo_id) or {}).get("gps")
        return (float(gps[0]), float(gps[1])) if gps else None
