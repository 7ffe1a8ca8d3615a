"""Console assets (bot/admin/assets.py): our CSS/JS and Leaflet served from this server, never a CDN; only
known file types, nothing outside the asset folders, cacheable for an hour."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.admin import assets
from bot.admin.assets import OWN, TYPES, leaflet_available


@pytest.fixture
def client(admin_app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(admin_app)  # not signed in: the login page needs its CSS too


@pytest.mark.parametrize(
    ("path", "media_type"),
    [("admin.css", "text/css; charset=utf-8"), ("admin.js", "text/javascript; charset=utf-8")],
)
def test_own_assets_are_served_to_anyone_and_cached(client: TestClient, path: str, media_type: str) -> None:
    response = client.get(f"/admin/static/{path}")
    assert response.status_code == 200 and response.content == (OWN / path).read_bytes()
    assert response.headers["content-type"] == media_type
    assert response.headers["cache-control"] == "max-age=3600"  # not the console pages' no-store
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "missing.css",
        "../assets.py",  # outside the folder
        "..%2Fassets.py",
        "%2e%2e/templates/base.html",
        "../templates/base.html",
        "",  # a folder, not a file
        "vendor/leaflet/leaflet.js.map",  # a type we do not serve
        "vendor/leaflet/../../../../pyproject.toml",
    ],
)
def test_anything_else_is_not_found(client: TestClient, path: str) -> None:
    response = client.get(f"/admin/static/{path}")
    assert response.status_code == 404 and response.text in ("not found", '{"detail":"Not Found"}')


def test_leaflet_is_served_when_installed(client: TestClient) -> None:
    response = client.get("/admin/static/vendor/leaflet/leaflet.js")
    if leaflet_available():
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
    else:  # `npm ci` not run: the reports page falls back to a list without a map
        assert response.status_code == 404


def test_serve_keeps_inside_its_root(tmp_path: Path) -> None:
    root = tmp_path / "dist"
    (root / "images").mkdir(parents=True)
    (root / "leaflet.css").write_text(".leaflet{}", encoding="utf-8")
    (root / "images" / "marker.png").write_bytes(b"\x89PNG")
    (root / "notes.txt").write_text("not an asset", encoding="utf-8")
    (tmp_path / "secret.css").write_text("outside", encoding="utf-8")
    (root / "linked.css").symlink_to(tmp_path / "secret.css")
    served = assets._serve(root, "images/marker.png")
    assert served.status_code == 200 and served.media_type == TYPES[".png"]
    assert assets._serve(root, "leaflet.css").media_type == TYPES[".css"]
    for path in ("notes.txt", "../secret.css", "linked.css", "images", "nope.css", "/etc/passwd"):
        assert assets._serve(root, path).status_code == 404, path
