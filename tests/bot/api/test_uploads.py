"""bot.api.uploads: the widget's photo upload returns the photo id and GPS, refuses with the Japanese message,
records the resident key as the photo's owner, and alerts staff when the disk is full."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.reports.photos import PhotoStore
from bot.storage import reports as repo
from tests.support.reports import jpeg_with_exif, png_declaring


def test_upload_returns_photo_id_and_gps(app_client) -> None:  # type: ignore[no-untyped-def]
    response = app_client.post(
        "/api/v1/uploads",
        data={"sender_id": "widget-1"},
        files={"file": ("IMG_0001.jpg", jpeg_with_exif(), "image/jpeg")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["photo_id"]) == 32
    assert body["gps"]["lat"] == pytest.approx(35.6812, abs=1e-4)
    assert body["gps"]["lon"] == pytest.approx(139.76, abs=1e-4)


def test_upload_refusals_carry_the_japanese_message(app_client) -> None:  # type: ignore[no-untyped-def]
    bad = app_client.post(
        "/api/v1/uploads",
        data={"sender_id": "widget-1"},
        files={"file": ("photo.jpg", b"just text", "image/jpeg")},
    )
    assert bad.status_code == 415 and "JPEG・PNG・WebP" in bad.json()["detail"]
    bomb = app_client.post(
        "/api/v1/uploads",
        data={"sender_id": "widget-1"},
        files={"file": ("big.png", png_declaring(10_000, 5_000), "image/png")},
    )
    assert bomb.status_code == 413 and "画素数" in bomb.json()["detail"]


def test_upload_when_disk_is_full_alerts_staff(app_client, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    def full(self: Path, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    response = app_client.post(
        "/api/v1/uploads",
        data={"sender_id": "widget-1"},
        files={"file": ("IMG.jpg", jpeg_with_exif(), "image/jpeg")},
    )
    assert response.status_code == 503 and "写真なしで通報を続けられます" in response.json()["detail"]
    with app_client.app.state.services.factory() as session:
        assert repo.open_alert_counts(session) == {"photo_store_unavailable": 1}


def test_the_photo_belongs_to_the_residents_key(app_client) -> None:  # type: ignore[no-untyped-def]
    services = app_client.app.state.services
    response = app_client.post(
        "/api/v1/uploads",
        data={"sender_id": "widget-1"},
        files={"file": ("IMG_0001.jpg", jpeg_with_exif(), "image/jpeg")},
    )
    info = PhotoStore.from_settings(services.settings).info(response.json()["photo_id"])
    assert info is not None and info["owner"] == services.chat.resident_key("web", "widget-1") != "widget-1"


def _upload(client, sender: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/uploads",
        data={"sender_id": sender},
        files={"file": ("IMG.jpg", jpeg_with_exif(), "image/jpeg")},
    )


def test_uploads_have_their_own_limit_per_resident_and_per_address(app_client) -> None:  # type: ignore[no-untyped-def]
    rate = app_client.app.state.settings.upload_rate_per_minute
    assert rate == 5  # a few a minute: a photo costs about a CPU-second to decode and megabytes to store
    assert [_upload(app_client, "widget-1").status_code for _ in range(rate)] == [200] * rate
    refused = _upload(app_client, "widget-1")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "写真が続けて送られた" in refused.json()["detail"] and "秒ほど待って" in refused.json()["detail"]
    # other residents behind the same address share the address's budget: twice a resident's
    others = [_upload(app_client, f"widget-{i}").status_code for i in range(2, 2 + rate)]
    assert others == [200] * (rate - 1) + [429]


def test_a_full_photo_quota_says_so_and_alerts_staff(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from bot.app import create_app
    from bot.settings import load_settings

    settings = load_settings(
        data_dir=tmp_path / "var",
        embedder="hashing",
        env="test",
        secret_key="test-secret-key-not-for-production",
        rasa_port=9,
        actions_port=9,
        photo_quota_mb=1,
    )
    root = PhotoStore.from_settings(settings).root
    root.mkdir(parents=True)
    (root / "older.jpg").write_bytes(b"\0" * 1024 * 1024)  # the quota is used up
    with TestClient(create_app(settings)) as client:
        response = _upload(client, "widget-1")
        assert response.status_code == 503
        assert "保存容量がいっぱい" in response.json()["detail"]
        with client.app.state.services.factory() as session:
            assert repo.open_alert_counts(session) == {"photo_quota_full": 1}
    assert [p.name for p in root.iterdir()] == ["older.jpg"]
