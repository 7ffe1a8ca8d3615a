"""OpenAPI description of the Open311 GeoReport v2 endpoints (`bot.api.open311`, `bot.api.open311_services`):
response bodies in JSON and in XML (the same fields, with the specification's element names), the error list,
and the links from a case list (or a newly created case) to that case. Documentation only: the routes build
their answers themselves, and schemathesis checks that what they send matches this."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field

XML_MEDIA = "text/xml; charset=utf-8"
# jurisdiction_id is accepted on every endpoint but left out of this description: it has one valid value per
# deployment (docs/contracts.md names it), and an `_id` parameter reads as a reference to a resource that no
# endpoint lists (schemathesis would then no longer start its stateful runs from the case list).
JurisdictionQuery = Annotated[str | None, Query(include_in_schema=False)]


class ServiceOut(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class ValueOut(BaseModel):
    key: str
    name: str


def _wrapped(name: str, item: str, **field: Any) -> Any:
    """A list field that XML wraps in `<name>` with one `<item>` per entry."""

    def annotate(schema: dict[str, Any]) -> None:
        schema["xml"] = {"name": name, "wrapped": True}
        for variant in [schema, *schema.get("anyOf", [])]:
            if isinstance(variant.get("items"), dict):
                variant["items"]["xml"] = {"name": item}

    return Field(json_schema_extra=annotate, **field)


class AttributeOut(BaseModel):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[ValueOut] | None = _wrapped("values", "value", default=None)  # the list datatypes only


class DefinitionOut(BaseModel):
    service_code: str
    attributes: list[AttributeOut] = _wrapped("attributes", "attribute")


class EndpointOut(BaseModel):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str] = _wrapped("formats", "format")


class DiscoveryOut(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[EndpointOut] = _wrapped("endpoints", "endpoint")


class ServiceRequestOut(BaseModel):
    """One public case, as staff approved it: never the reporter, coordinates rounded to about 100 m, a photo
    only once staff reviewed it."""

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
# The XML root element of each body, and for a list the element of each item.
XML_NAMES: dict[Any, tuple[str, str | None]] = {
    list[ServiceOut]: ("services", "service"),
    DefinitionOut: ("service_definition", None),
    DiscoveryOut: ("discovery", None),
    list[ServiceRequestOut]: ("service_requests", "request"),
    list[CreatedOut]: ("service_requests", "request"),
    list[ErrorOut]: ("errors", "error"),
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}


def errors(*codes: int) -> Responses:
    """GeoReport v2 errors are a list of {code, description}."""
    return {code: {"description": "GeoReport v2 error list", "model": list[ErrorOut]} for code in codes}


def xml(responses: Responses) -> Responses:
    """The same answers for a `.xml` route: each body under the XML media type, with its element names (the
    links stay with the JSON routes)."""
    out: Responses = {}
    for code, response in responses.items():
        root, item = XML_NAMES[response["model"]]
        schema: dict[str, Any] = {"xml": {"name": root, **({"wrapped": True} if item else {})}}
        if item:
            schema["items"] = {"xml": {"name": item}}
        extra = {k: v for k, v in response.items() if k not in ("links", "content")}
        out[code] = {**extra, "content": {XML_MEDIA: {"schema": schema}}}
    return out


SERVICES: Responses = {200: {"description": "report kinds", "model": list[ServiceOut]}, **errors(404)}
DEFINITION: Responses = {
    200: {"description": "the questions of a service whose metadata is true", "model": DefinitionOut},
    **errors(404),
}
DISCOVERY: Responses = {200: {"description": "service discovery", "model": DiscoveryOut}}
LIST: Responses = {
    200: {"description": "published cases, newest first", "model": list[ServiceRequestOut], "links": TO_CASE},
    429: {"description": "rate limit reached", "model": list[ErrorOut], "headers": RETRY_AFTER},
    **errors(400, 404),
}
ONE: Responses = {
    200: {"description": "the case, once published", "model": list[ServiceRequestOut]},
    **errors(404),
}
CREATE: Responses = {
    200: {"description": "the new case's number", "model": list[CreatedOut], "links": TO_CASE},
    **errors(400, 403, 404),
}
