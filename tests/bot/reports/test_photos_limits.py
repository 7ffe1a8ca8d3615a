"""The photo store's limits (bot/reports/photos.py): no more photos decoded at once than the cap (a 20-megapixel
photo costs about a CPU-second), a photo kept waiting too long is refused as busy, and a full quota refuses photos
with a message for the resident before any decoding."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.reports import photos
from bot.reports.photos import PhotoQuotaFull, PhotoRejected, PhotoStore, PhotoStoreUnavailable
from tests.support.reports import jpeg_with_exif


def test_no_more_photos_are_decoded_at_once_than_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PhotoStore(tmp_path / "photos", decode_concurrency=2)
    busy, most = 0, 0
    lock = threading.Lock()
    real_decode = PhotoStore._decode

    def slow_decode(self: PhotoStore, data: bytes, content_type: str | None):  # type: ignore[no-untyped-def]
        nonlocal busy, most
        with lock:
            busy += 1
            most = max(most, busy)
        time.sleep(0.1)  # a big photo's second of CPU, shortened
        try:
            return real_decode(self, data, content_type)
        finally:
            with lock:
                busy -= 1

    monkeypatch.setattr(PhotoStore, "_decode", slow_decode)
    data = jpeg_with_exif()
    with ThreadPoolExecutor(max_workers=8) as pool:
        stored = list(pool.map(lambda _: store.store_photo(data, "image/jpeg"), range(8)))
    assert most == 2 and len({s.photo_id for s in stored}) == 8  # all stored, two at a time


def test_a_photo_kept_waiting_too_long_is_refused_as_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PhotoStore(tmp_path / "photos", decode_concurrency=1)
    monkeypatch.setattr(photos, "DECODE_WAIT_S", 0.05)
    slots = photos.decode_slots(1)
    assert slots.acquire(timeout=5)  # another photo is being decoded
    try:
        with pytest.raises(PhotoRejected) as refused:
            store.store_photo(jpeg_with_exif(), "image/jpeg")
    finally:
        slots.release()
    assert refused.value.status == 503 and "混み合っています" in refused.value.message_ja
    assert store.store_photo(jpeg_with_exif(), "image/jpeg").path.is_file()  # free again


def test_a_full_quota_refuses_photos_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = PhotoStore(tmp_path / "photos", quota_bytes=10_000)
    first = store.store_photo(jpeg_with_exif(), "image/jpeg")
    assert 0 < store.used_bytes() < 10_000
    (store.root / "older.jpg").write_bytes(b"\0" * (10_000 - store.used_bytes()))  # now exactly full
    decoded: list[bytes] = []
    monkeypatch.setattr(PhotoStore, "_decode", lambda self, data, ct: decoded.append(data))
    with pytest.raises(PhotoQuotaFull) as full:
        store.store_photo(jpeg_with_exif(), "image/jpeg")
    assert isinstance(full.value, PhotoStoreUnavailable)  # the channels' existing path: go on without it
    assert (
        "保存容量がいっぱい" in full.value.message_ja
        and "写真なしで通報を続けられます" in full.value.message_ja
    )
    assert decoded == []  # refused before a CPU-second was spent
    assert sorted(p.name for p in store.root.glob("*.jpg")) == sorted([first.path.name, "older.jpg"])


def test_a_photo_that_would_overflow_the_quota_is_not_written(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos", quota_bytes=200)  # less than one stored photo
    with pytest.raises(PhotoQuotaFull):
        store.store_photo(jpeg_with_exif(), "image/jpeg")
    assert store.used_bytes() == 0


def test_the_settings_set_the_limits(settings) -> None:  # type: ignore[no-untyped-def]
    store = PhotoStore.from_settings(settings)
    assert store.decode_concurrency == settings.photo_decode_concurrency == 2
    assert store.quota_bytes == settings.photo_quota_mb * 1024 * 1024 > 0
