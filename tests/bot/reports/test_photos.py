"""bot.reports.photos: metadata stripped, GPS kept aside, refusals with a clear Japanese message; the chat
turn's photo metadata."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from bot.reports.photos import PhotoRejected, PhotoStore, PhotoStoreUnavailable, sniff
from tests.support.reports import SERIAL, jpeg_with_exif, png_declaring


@pytest.fixture
def store(tmp_path: Path) -> PhotoStore:
    return PhotoStore(tmp_path / "photos", max_bytes=10 * 1024 * 1024, max_pixels=20_000_000)


def test_exif_is_stripped_gps_returned_and_orientation_applied(store: PhotoStore) -> None:
    data = jpeg_with_exif()
    with Image.open(io.BytesIO(data)) as original:  # the fixture really carries what we strip
        assert original.getexif().get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.BodySerialNumber] == SERIAL
    stored = store.store_photo(data, "image/jpeg", owner="line-abc")
    assert stored.gps is not None
    assert stored.gps == pytest.approx((35 + 40 / 60 + 52.32 / 3600, 139 + 45 / 60 + 36 / 3600), abs=1e-6)
    assert (stored.width, stored.height) == (20, 40)  # turned upright from orientation 6
    raw = stored.path.read_bytes()
    assert b"Exif" not in raw and SERIAL.encode() not in raw and b"TestCam" not in raw
    with Image.open(stored.path) as clean:
        assert clean.format == "JPEG"
        assert dict(clean.getexif()) == {}
        assert "exif" not in clean.info and "xmp" not in clean.info and "icc_profile" not in clean.info
    assert store.gps_of(stored.photo_id) == stored.gps
    assert store.info(stored.photo_id)["owner"] == "line-abc"


def test_png_without_gps_is_stored_as_jpeg(store: PhotoStore) -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (30, 30), (0, 0, 255, 128)).save(buf, "PNG")
    stored = store.store_photo(buf.getvalue(), None)
    assert stored.gps is None and stored.path.suffix == ".jpg"
    assert sniff(stored.path.read_bytes()) == "JPEG"


def test_decompression_bomb_png_is_refused(store: PhotoStore) -> None:
    data = png_declaring(10_000, 5_000)  # 50 Mpx declared
    assert len(data) < 20_000  # a few KB on the wire
    with pytest.raises(PhotoRejected) as info:
        store.store_photo(data, "image/png")
    assert "画素数が大きすぎます" in info.value.message_ja and info.value.status == 413


def test_text_file_named_jpg_is_refused(store: PhotoStore) -> None:
    with pytest.raises(PhotoRejected) as info:
        store.store_photo("これは写真ではありません\n".encode(), "image/jpeg")
    assert "JPEG・PNG・WebP" in info.value.message_ja


def test_30mb_image_is_refused_before_decoding(store: PhotoStore) -> None:
    data = jpeg_with_exif() + b"\0" * (30 * 1024 * 1024)
    with pytest.raises(PhotoRejected) as info:
        store.store_photo(data, "image/jpeg")
    assert "サイズが大きすぎます" in info.value.message_ja and "10MB" in info.value.message_ja
    assert info.value.status == 413


def test_heic_is_refused_with_advice(store: PhotoStore) -> None:
    data = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64
    with pytest.raises(PhotoRejected) as info:
        store.store_photo(data, "image/heic")
    assert "HEIC" in info.value.message_ja and "互換性優先" in info.value.message_ja


def test_truncated_jpeg_is_refused(store: PhotoStore) -> None:
    with pytest.raises(PhotoRejected) as info:
        store.store_photo(jpeg_with_exif()[:200], "image/jpeg")
    assert "読み込めませんでした" in info.value.message_ja


def test_disk_full_raises_store_unavailable(store: PhotoStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(self: Path, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(PhotoStoreUnavailable):
        store.store_photo(jpeg_with_exif(), "image/jpeg")
    assert not list(store.root.glob("*.jpg"))


def test_unknown_or_malformed_ids_resolve_to_nothing(store: PhotoStore) -> None:
    assert store.path_for("../../etc/passwd") is None
    assert store.path_for("0" * 32) is None and store.info("0" * 32) is None


# --- the photo metadata the widget's chat turn may carry (bot/api/chat.py) ---------------------------


def test_chat_metadata_accepts_photos_and_location_only(app_client) -> None:  # type: ignore[no-untyped-def]
    bad = app_client.post(
        "/api/v1/chat",
        json={"sender_id": "w", "text": "写真", "metadata": {"photo_ids": ["a"], "channel": "line"}},
    )
    assert bad.status_code == 422
    far = app_client.post(
        "/api/v1/chat",
        json={"sender_id": "w", "text": "ここ", "metadata": {"location": {"lat": 95, "lon": 1}}},
    )
    assert far.status_code == 422


def test_chat_passes_photo_ids_and_location_to_the_chat_service(app_client) -> None:  # type: ignore[no-untyped-def]
    from bot.chat import ChatResult, Reply

    seen: dict = {}

    async def handle(channel: str, sender_id: str, text: str, metadata: dict | None = None) -> ChatResult:
        seen.update(channel=channel, metadata=metadata)
        return ChatResult(replies=[Reply(text="ok")])

    app_client.app.state.services.chat.handle = handle
    location = {"lat": 35.1, "lon": 139.2, "address": "中央町"}
    response = app_client.post(
        "/api/v1/chat",
        json={
            "sender_id": "w",
            "text": "ここです",
            "metadata": {"photo_ids": ["a" * 32], "location": location},
        },
    )
    assert response.status_code == 200, response.text
    assert seen == {"channel": "web", "metadata": {"photo_ids": ["a" * 32], "location": location}}
    app_client.post("/api/v1/chat", json={"sender_id": "w", "text": "こんにちは"})
    assert seen["metadata"] is None
