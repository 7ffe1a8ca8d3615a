"""GET /healthz (bot/api/health.py): 200 only when Rasa and the action server answer; the worker is reported."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.services import services_of
from bot.settings import Settings


def _gateway(settings: Settings, rasa_up: bool, actions_up: bool, worker_up: bool = True) -> TestClient:
    app = create_app(settings)
    services = services_of(app)

    async def healthy() -> bool:
        return rasa_up

    def answer(request: httpx.Request) -> httpx.Response:
        up = worker_up if request.url.path == "/healthz" else actions_up
        return httpx.Response(200 if up else 503)

    services.rasa.healthy = healthy  # type: ignore[method-assign]
    services.probe = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return TestClient(app)


def test_ok_when_rasa_and_the_actions_answer(settings: Settings) -> None:
    with _gateway(settings, rasa_up=True, actions_up=True) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "rasa": True, "actions": True}


@pytest.mark.parametrize(("rasa_up", "actions_up"), [(False, True), (True, False)])
def test_degraded_when_either_is_down(settings: Settings, rasa_up: bool, actions_up: bool) -> None:
    with _gateway(settings, rasa_up, actions_up) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "rasa": rasa_up, "actions": actions_up}


def test_a_separate_line_worker_is_reported_but_never_fails_the_check(settings: Settings) -> None:
    process = settings.model_copy(update={"line_worker": "process"})
    with _gateway(process, rasa_up=True, actions_up=True, worker_up=False) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["line_worker"] is False


def test_unreachable_backends_are_down_not_errors(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:  # rasa_port=9, actions_port=9: nothing listens
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["rasa"] is False and response.json()["actions"] is False
