"""bot.headers: HSTS over https and in production, nosniff on every answer (JSON included), a route's own
header kept, answers sent ahead of the framework covered too."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from bot.headers import HSTS, SecurityHeadersMiddleware


async def answer(request: Request) -> Response:
    return JSONResponse({"text": "<script>alert(1)</script>"})


async def own_header(request: Request) -> Response:
    return PlainTextResponse("x", headers={"Strict-Transport-Security": "max-age=60"})


def client(production: bool, base_url: str) -> TestClient:
    app = Starlette(routes=[Route("/json", answer), Route("/own", own_header)])
    return TestClient(SecurityHeadersMiddleware(app, production=production), base_url=base_url)


@pytest.mark.parametrize(
    ("production", "base_url", "hsts"),
    [
        (False, "http://testserver", None),
        (False, "https://testserver", HSTS),  # https, whatever MADOGUCHI_ENV says
        (True, "http://testserver", HSTS),  # production: the proxy in front speaks https
    ],
)
def test_hsts_over_https_and_in_production_nosniff_always(
    production: bool, base_url: str, hsts: str | None
) -> None:
    response = client(production, base_url).get("/json")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers.get("strict-transport-security") == hsts


def test_a_header_the_route_set_is_kept() -> None:
    response = client(True, "https://testserver").get("/own")
    assert response.headers["strict-transport-security"] == "max-age=60"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_raw_answer_without_a_header_list_gets_them_too() -> None:
    async def raw(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 413})
        await send({"type": "http.response.body", "body": b""})

    response = TestClient(SecurityHeadersMiddleware(raw, production=True)).get("/")
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["strict-transport-security"] == HSTS
