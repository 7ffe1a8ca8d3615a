"""The widget's 「登録情報」: the resident's optional age group (年代) and area (地区), under the widget's
pseudonymous key (`/api/v1/profile`: GET to see it with the choices and the consent text, PUT to set or
change it — the first time, or after the consent text changed, only with `consent: true` — DELETE to remove
it, which also takes it out of every survey's analytics).

Used for segment delivery, reminders and analytics only (docs/privacy.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from bot.deps import ChatDep, ServicesDep
from bot.messages import for_settings
from bot.services import Services
from bot.storage import profiles
from bot.storage.db import transaction
from bot.surveys.definition import SurveyError
from channels.web.ratelimit import TOO_MANY_RESPONSES, ip_rate_limit

router = APIRouter(
    prefix="/api/v1",
    tags=["chat"],
    dependencies=[Depends(ip_rate_limit)],
    responses={400: {"description": "a Japanese message says what to fix"}, **TOO_MANY_RESPONSES},
)
NEEDS_CONSENT = (
    "登録するには、説明をお読みのうえ「同意する」にチェックを入れてください。(consent is required)"
)

SenderQuery = Annotated[
    str, Query(min_length=16, max_length=128, description="The widget's random session id")
]


class ProfileOut(BaseModel):
    registered: bool
    age_group: str | None
    area: str | None
    consented_at: str | None = Field(description="UTC, ISO 8601; null when nothing is registered")
    needs_consent: bool = Field(description="True: a PUT must carry `consent: true`")
    consent_text: str
    consent_version: int
    age_groups: list[str] = Field(description="The choices for `age_group`")
    areas: list[str] = Field(description="The choices for `area` (empty: the city has no area list)")
    message: str | None = Field(default=None, description="What was done, to show the resident")


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    sender_id: str = Field(min_length=16, max_length=128)
    age_group: str | None = Field(default=None, max_length=16)
    area: str | None = Field(default=None, max_length=profiles.AREA_MAX)
    consent: bool = False


class DeletedOut(BaseModel):
    deleted: bool = Field(description="False: there was nothing to delete")
    message: str


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _out(services: Services, row: profiles.ResidentProfile | None, areas: list[str]) -> ProfileOut:
    messages = for_settings(services.settings)
    return ProfileOut(
        registered=row is not None,
        age_group=row.age_group if row else None,
        area=row.area if row else None,
        consented_at=_utc(row.consented_at).isoformat() if row else None,
        needs_consent=row is None or row.consent_version < profiles.CONSENT_VERSION,
        consent_text=messages.text("profile_web_consent"),
        consent_version=profiles.CONSENT_VERSION,
        age_groups=list(profiles.AGE_GROUPS),
        areas=areas,
    )


@router.get("/profile", response_model=ProfileOut)
async def get_profile(
    sender_id: SenderQuery, chat: ChatDep, services: ServicesDep, response: Response
) -> ProfileOut:
    """What this resident registered (nothing: `registered` false), with the choices and the consent text."""
    key = chat.resident_key("web", sender_id)

    def read() -> ProfileOut:
        with transaction(services.factory) as session:
            areas = profiles.known_areas(session, services.settings.city_data_dir)
            return _out(services, profiles.get_profile(session, key), areas)

    response.headers["Cache-Control"] = "no-store"
    return await anyio.to_thread.run_sync(read)


@router.put("/profile", response_model=ProfileOut)
async def put_profile(
    body: ProfileIn, chat: ChatDep, services: ServicesDep, response: Response
) -> ProfileOut:
    """Register or change the age group and area (at least one of them)."""
    key = chat.resident_key("web", body.sender_id)

    def write() -> ProfileOut:
        with transaction(services.factory) as session:
            areas = profiles.known_areas(session, services.settings.city_data_dir)
            row = profiles.get_profile(session, key)
            if (row is None or row.consent_version < profiles.CONSENT_VERSION) and not body.consent:
                raise HTTPException(status_code=400, detail=NEEDS_CONSENT)
            try:
                row = profiles.set_profile(
                    session, key, age_group=body.age_group, area=body.area, areas=areas
                )
            except SurveyError as exc:
                raise HTTPException(status_code=400, detail=exc.message) from exc
            out = _out(services, row, areas)
        out.message = for_settings(services.settings).text("profile_web_saved")
        return out

    response.headers["Cache-Control"] = "no-store"
    return await anyio.to_thread.run_sync(write)


@router.delete("/profile", response_model=DeletedOut)
async def delete_profile(
    sender_id: SenderQuery, chat: ChatDep, services: ServicesDep, response: Response
) -> DeletedOut:
    """Delete the registration; its age group and area also leave every survey's analytics."""
    key = chat.resident_key("web", sender_id)

    def remove() -> bool:
        with transaction(services.factory) as session:
            return profiles.delete_profile(session, key)

    deleted = await anyio.to_thread.run_sync(remove)
    response.headers["Cache-Control"] = "no-store"
    messages = for_settings(services.settings)
    text = messages.text("profile_web_deleted") if deleted else "登録情報はありません。"
    return DeletedOut(deleted=deleted, message=text)
