"""The gateway's error answers (bot/errors.py): 405 names every method, 422 has the documented shape, 503 while
the database is away."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc

from bot import errors


class Body(BaseModel):
    n: int


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/thing")
    def read() -> dict[str, str]:
        return {}

    @app.post("/thing")
    def write(body: Body) -> dict[str, int]:
        return {"n": body.n}

    @app.get("/down")
    def down() -> None:
        raise sa_exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    errors.install(app)
    return app


def test_405_allows_every_method_served_at_the_path() -> None:
    response = TestClient(_app()).delete("/thing")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


def test_422_is_the_documented_japanese_shape() -> None:
    app = _app()
    response = TestClient(app).post("/thing", json={"n": "many"})
    assert response.status_code == 422
    body = response.json()
    assert "invalid request body" in body["detail"]
    assert body["errors"][0]["loc"] == ["body", "n"]
    schemas = app.openapi()["components"]["schemas"]
    assert schemas["HTTPValidationError"] == errors.INVALID_REQUEST_SCHEMA
    assert "ValidationError" not in schemas


def test_database_errors_answer_a_retryable_503() -> None:
    response = TestClient(_app(), raise_server_exceptions=False).get("/down")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "database temporarily unavailable" in response.json()["detail"]
