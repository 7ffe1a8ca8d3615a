"""Console assets served locally (no CDN): our CSS/JS, and Leaflet from node_modules when installed."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from bot.admin.security import AdminRoute
from bot.settings import REPO_ROOT

router = APIRouter(prefix="/static", route_class=AdminRoute)

OWN = Path(__file__).resolve().parent / "static"
LEAFLET = REPO_ROOT / "node_modules" / "leaflet" / "dist"
TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def _serve(root: Path, path: str) -> Response:
    target = (root / path).resolve()
    if not target.is_relative_to(root.resolve()) or not target.is_file() or target.suffix not in TYPES:
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(target, media_type=TYPES[target.suffix], headers={"Cache-Control": "max-age=3600"})


def leaflet_available() -> bool:
    return (LEAFLET / "leaflet.js").is_file()


@router.get("/vendor/leaflet/{path:path}")
def leaflet(path: str) -> Response:
    return _serve(LEAFLET, path)


@router.get("/{path:path}")
def own(path: str) -> Response:
    return _serve(OWN, path)
