"""GET /healthz: the gateway answers 200 only when Rasa and every action server answer."""

from __future__ import annotations

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from bot.deps import ServicesDep

router = APIRouter(tags=["ops"])


@router.get("/healthz", responses={503: {"description": "Rasa or the action server is down"}})
async def healthz(services: ServicesDep) -> JSONResponse:
    """200 only when Rasa and every action server answer."""
    settings, probe = services.settings, services.probe
    rasa_ok = await services.rasa.healthy()
    actions_ok = all([await _answers(probe, f"{url}/health") for url in settings.actions_url_list])
    ok = rasa_ok and actions_ok
    content: dict[str, object] = {
        "status": "ok" if ok else "degraded",
        "rasa": rasa_ok,
        "actions": actions_ok,
    }
    if settings.line_worker == "process":
        # reported, never failing this check: without the worker LINE events wait in the inbox, while a
        # failing gateway check would stop the webhook from storing them at all
        content["line_worker"] = await _answers(
            probe, f"http://127.0.0.1:{settings.line_worker_port}/healthz"
        )
    return JSONResponse(status_code=200 if ok else 503, content=content)


async def _answers(probe: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await probe.get(url)).status_code == 200
    except httpx.HTTPError:
        return False
