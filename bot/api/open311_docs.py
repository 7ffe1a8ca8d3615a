"""OpenAPI description of the Open311 GeoReport v2 endpoints (`bot.api.open311`): response bodies, the error
list, and the links from a case list (or a newly created case) to that case. Documentation only: the routes
build their JSON themselves, and schemathesis checks that what they send matches this."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ServiceOut(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class ServiceRequestOut(BaseModel):
    """One public case: never the reporter, text already masked, a photo only once staff reviewed it."""

    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class CreatedOut(BaseModel):
    service_request_id: str
    service_notice: str
    account_id: str | None


class ErrorOut(BaseModel):
    code: int
    description: str


Responses = dict[int | str, dict[str, Any]]
TO_CASE: dict[str, Any] = {
    "case": {
        "operationId": "open311_get_request",
        "parameters": {"case_number": "$response.body#/0/service_request_id"},
    }
}


def errors(*codes: int) -> Responses:
    """GeoReport v2 errors are a list of {code, description}."""
    return {code: {"description": "GeoReport v2 error list", "model": list[ErrorOut]} for code in codes}


SERVICES: Responses = {200: {"description": "report kinds", "model": list[ServiceOut]}}
LIST: Responses = {
    200: {"description": "cases, newest first", "model": list[ServiceRequestOut], "links": TO_CASE},
    **errors(400, 404),
}
ONE: Responses = {200: {"description": "the case", "model": list[ServiceRequestOut]}, **errors(404)}
CREATE: Responses = {
    200: {"description": "the new case's number", "model": list[CreatedOut], "links": TO_CASE},
    **errors(400, 403),
}
