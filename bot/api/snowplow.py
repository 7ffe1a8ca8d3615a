"""Snowplow vehicles post their GPS positions here (`POST /api/v1/snowplow/positions`).

Authorised by a bearer token (`MADOGUCHI_SNOWPLOW_TOKEN`, compared in constant time); an unset
token refuses every request. A batch holds 1–1000 fixes; a repeated (vehicle, timestamp) is
accepted but stored once, so a vehicle may resend a batch after a network error. Fixes from a
vehicle whose clock runs ahead are stored as sent; readers only use fixes up to their own "now".
"""

from __future__ import annotations

import hmac
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from bot.deps import FactoryDep, SettingsDep
from bot.storage import citydata
from bot.storage.db import transaction
from knowledge.snowplow import Position

router = APIRouter(prefix="/api/v1/snowplow", tags=["snowplow"])
MAX_BATCH = 1000
DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")


def _date_time_text(value: object) -> object:
    """Only text that starts like a date: pydantic would also take 0 or "1700000000" as a Unix time."""
    if not isinstance(value, str) or not DATE_START.match(value):
        raise ValueError("timestamp must be an ISO 8601 date-time with offset")
    return value


class PositionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vehicle_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    lat: float = Field(ge=-90, le=90, strict=True)  # strict: true/false are not coordinates
    lon: float = Field(ge=-180, le=180, strict=True)
    timestamp: Annotated[AwareDatetime, BeforeValidator(_date_time_text)] = Field(
        description="ISO 8601 with offset, e.g. 2027-01-15T05:20:00+09:00"
    )


class PositionBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    positions: list[PositionIn] = Field(min_length=1, max_length=MAX_BATCH)


class BatchResult(BaseModel):
    received: int
    stored: int


# Declared as an OpenAPI bearer scheme; the 401 below (Japanese message) is ours, not HTTPBearer's.
bearer = HTTPBearer(auto_error=False, description="MADOGUCHI_SNOWPLOW_TOKEN")
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "body is not JSON text"},
    401: {"description": "missing or wrong bearer token"},
}


def require_snowplow_token(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    """401 unless ``Authorization: Bearer <snowplow_token>`` (checked before the body is parsed)."""
    expected = settings.snowplow_token.get_secret_value()
    token = credentials.credentials if credentials is not None else ""
    if not expected or not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="認証に失敗しました。(invalid or missing bearer token)",
            headers={"WWW-Authenticate": "Bearer"},
        )


@router.post(
    "/positions",
    response_model=BatchResult,
    dependencies=[Depends(require_snowplow_token)],
    responses=RESPONSES,
)
def post_positions(batch: PositionBatch, factory: FactoryDep) -> BatchResult:
    """Store a batch of vehicle positions (1–1000)."""
    fixes = [Position(p.vehicle_id, p.lat, p.lon, p.timestamp) for p in batch.positions]
    with transaction(factory) as session:
        stored = citydata.add_positions(session, fixes)
    return BatchResult(received=len(fixes), stored=stored)
