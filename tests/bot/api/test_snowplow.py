"""`POST /api/v1/snowplow/positions` (bot/api/snowplow.py): bearer token checked first, strict validation of a
batch of 1–1000 fixes, a repeated (vehicle, timestamp) stored once, times stored as UTC."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.app import create_app
from bot.services import services_of
from bot.settings import Settings
from bot.storage import citydata

TOKEN = "test-snowplow-token"
PATH = "/api/v1/snowplow/positions"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FIX = {"vehicle_id": "plow-1", "lat": 39.7, "lon": 140.1, "timestamp": "2027-01-15T05:20:00+09:00"}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"snowplow_token": SecretStr(TOKEN)}))) as client:
        yield client


def _stored(client: TestClient) -> list[tuple[str, float, float, datetime]]:
    with services_of(client.app).factory() as session:  # type: ignore[arg-type]
        return [
            (p.vehicle_id, p.lat, p.lon, p.timestamp)
            for p in citydata.positions_since(session, datetime(2000, 1, 1))
        ]


def test_snowplow_api_validation(settings: Settings) -> None:
    no_token = create_app(settings)
    with TestClient(no_token) as client:  # no token configured: every request refused
        assert client.post(PATH, json={"positions": [FIX]}, headers=AUTH).status_code == 401
    with TestClient(create_app(settings.model_copy(update={"snowplow_token": SecretStr(TOKEN)}))) as client:
        post = client.post
        assert post(PATH, json={"positions": [FIX]}).status_code == 401
        assert post(PATH, json={"positions": []}, headers=AUTH).status_code == 422
        assert post(PATH, json={"positions": [FIX] * 1001}, headers=AUTH).status_code == 422
        for bad in ({**FIX, "lat": 91}, {**FIX, "timestamp": "2027-01-15T05:20:00"}, {**FIX, "extra": 1}):
            assert post(PATH, json={"positions": [bad]}, headers=AUTH).status_code == 422
        batch = [{**FIX, "timestamp": f"2027-01-15T05:{m:02d}:00+09:00"} for m in range(15, 25)] + [FIX]
        result = post(PATH, json={"positions": batch}, headers=AUTH)
        assert result.status_code == 200 and result.json() == {"received": 11, "stored": 10}


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer nope", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_a_wrong_token_is_refused_before_the_batch_is_validated(client: TestClient, header: str) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.post(PATH, json={"positions": 5}, headers=headers)
    assert response.status_code == 401  # not 422: the batch was never looked at
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "認証に失敗しました" in response.json()["detail"]
    assert _stored(client) == []


@pytest.mark.parametrize(
    "change",
    [
        {"timestamp": 0},  # pydantic alone would read these as Unix times
        {"timestamp": "1700000000"},
        {"timestamp": True},
        {"timestamp": "15 Jan 2027 05:20 +0900"},
        {"lat": True},  # strict: a boolean is not a coordinate
        {"lon": "140.1"},
        {"lon": 181},
        {"vehicle_id": ""},
        {"vehicle_id": "plow 1"},
        {"vehicle_id": "p" * 65},
    ],
)
def test_each_fix_is_validated_strictly(client: TestClient, change: dict) -> None:
    response = client.post(PATH, json={"positions": [FIX, {**FIX, **change}]}, headers=AUTH)
    assert response.status_code == 422, change
    assert _stored(client) == []  # the whole batch is refused


def test_fixes_are_stored_in_utc_and_a_resent_batch_is_stored_once(client: TestClient) -> None:
    batch = [
        FIX,
        {**FIX, "vehicle_id": "plow-2", "timestamp": "2027-01-14T20:25:00Z"},
        {**FIX, "timestamp": "2027-01-15 05:30:00+09:00"},  # a space between date and time is ISO too
    ]
    first = client.post(PATH, json={"positions": batch}, headers=AUTH)
    assert first.json() == {"received": 3, "stored": 3}
    again = client.post(PATH, json={"positions": batch}, headers=AUTH)  # resent after a network error
    assert again.status_code == 200 and again.json() == {"received": 3, "stored": 0}
    assert _stored(client) == [
        ("plow-1", 39.7, 140.1, datetime(2027, 1, 14, 20, 20)),
        ("plow-2", 39.7, 140.1, datetime(2027, 1, 14, 20, 25)),
        ("plow-1", 39.7, 140.1, datetime(2027, 1, 14, 20, 30)),
    ]


def test_a_fix_from_a_clock_running_ahead_is_stored_as_sent(client: TestClient) -> None:
    ahead = {**FIX, "timestamp": "2099-01-01T00:00:00+09:00"}
    assert client.post(PATH, json={"positions": [ahead]}, headers=AUTH).json() == {"received": 1, "stored": 1}
    assert _stored(client)[0][3] == datetime(2098, 12, 31, 15, 0)


def test_the_api_is_documented_with_its_bearer_scheme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"][PATH]["post"]
    assert {"400", "401", "422"} <= set(operation["responses"])
    assert operation["security"] == [{"HTTPBearer": []}]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
