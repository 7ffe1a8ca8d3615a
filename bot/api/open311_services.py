"""Open311 GeoReport v2, the city's catalogue: the service list, each service's definition (the questions of
`bot.reports.attributes`), service discovery, and the jurisdiction this deployment answers for.

The jurisdiction_id is the host of the city's website in `city.json` without `www.` (the demo city:
`city.midorino.example`). A request may leave it out; one that names another jurisdiction gets a 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.api import open311_docs as docs
from bot.api.open311_format import Fmt, Open311Json, Open311Xml, answer, error, fmt_of
from bot.deps import SettingsDep
from bot.reports.attributes import Attribute, AttributeTable, attributes_file, load_attributes
from bot.reports.categories import CategoryTable, load_categories
from bot.settings import Settings
from knowledge.city import CityProfile
from knowledge.csvdata import CityDataError

router = APIRouter(tags=["open311"])
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MEDIA_TYPES = ["text/xml", "application/json"]
Jurisdiction = docs.JurisdictionQuery


@lru_cache(maxsize=8)
def _jurisdiction(city_dir: str) -> str:
    try:
        website = CityProfile.load(Path(city_dir) / "city.json").website
    except CityDataError:  # no readable city.json: no jurisdiction_id can match
        return ""
    host = (urlsplit(website).hostname or "").lower()
    return host.removeprefix("www.")


def jurisdiction_of(settings: Settings) -> str:
    """This deployment's jurisdiction_id ("" when the city's website is unknown)."""
    return _jurisdiction(str(settings.city_data_dir))


def wrong_jurisdiction(fmt: Fmt, given: str | None, settings: Settings) -> Response | None:
    """The 404 for a jurisdiction_id that is not this deployment's; None when it is, or none was given."""
    if not given or given.strip().lower() == jurisdiction_of(settings) != "":
        return None
    return error(fmt, 404, "jurisdiction_id not found")


def categories_of(settings: Settings) -> CategoryTable:
    return load_categories(settings.report_categories_file)


def attributes_of(settings: Settings) -> AttributeTable:
    return load_attributes(attributes_file(settings.report_categories_file))


@router.get("/open311/v2/services.json", responses=docs.SERVICES, response_class=Open311Json)
@router.get("/open311/v2/services.xml", responses=docs.xml(docs.SERVICES), response_class=Open311Xml)
async def services(request: Request, settings: SettingsDep, jurisdiction_id: Jurisdiction = None) -> Any:
    """The kinds of report the city accepts; `metadata` is true when the service asks more questions (its
    definition lists them)."""
    fmt = fmt_of(request)
    if refused := wrong_jurisdiction(fmt, jurisdiction_id, settings):
        return refused
    attributes = attributes_of(settings)
    listing = [
        {
            "service_code": c.service_code,
            "service_name": c.label,
            "description": c.description,
            "metadata": bool(attributes.of(c.code)),
            "type": "realtime",
            "keywords": ",".join(c.keywords[:5]),
            "group": c.department,
        }
        for c in categories_of(settings).categories
    ]
    return answer(fmt, "services", listing)


def _attribute(attribute: Attribute) -> dict[str, Any]:
    out: dict[str, Any] = {
        "variable": attribute.variable,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.datatype_description or None,
        "order": attribute.order,
        "description": attribute.description,
    }
    if attribute.values:
        out["values"] = [{"key": v.key, "name": v.name} for v in attribute.values]
    return out


@router.get("/open311/v2/services/{service_code}.json", responses=docs.DEFINITION, response_class=Open311Json)
@router.get(
    "/open311/v2/services/{service_code}.xml",
    responses=docs.xml(docs.DEFINITION),
    response_class=Open311Xml,
)
async def service_definition(
    service_code: str, request: Request, settings: SettingsDep, jurisdiction_id: Jurisdiction = None
) -> Any:
    """The questions a service asks beyond place, photo and description. A service without any
    (`metadata: false`) has no definition: 404."""
    fmt = fmt_of(request)
    if refused := wrong_jurisdiction(fmt, jurisdiction_id, settings):
        return refused
    category = categories_of(settings).by_service_code(service_code)
    if category is None:
        return error(fmt, 404, "service_code not found")
    questions = attributes_of(settings).of(category.code)
    if not questions:
        return error(fmt, 404, f"service_code {service_code} has no service definition (metadata is false)")
    definition = {"service_code": category.service_code, "attributes": [_attribute(a) for a in questions]}
    return answer(fmt, "service_definition", definition)


def _changeset(settings: Settings) -> str:
    """When the service list or a definition last changed: the newer of their two files."""
    files = (settings.report_categories_file, attributes_file(settings.report_categories_file))
    stamps = [path.stat().st_mtime for path in files if path.exists()]
    moment = datetime.fromtimestamp(max(stamps, default=0), UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


@router.get("/open311/discovery.json", responses=docs.DISCOVERY, response_class=Open311Json)
@router.get("/open311/discovery.xml", responses=docs.xml(docs.DISCOVERY), response_class=Open311Xml)
@router.get("/open311/v2/discovery.json", include_in_schema=False)
@router.get("/open311/v2/discovery.xml", include_in_schema=False)
async def discovery(request: Request, settings: SettingsDep) -> Any:
    """Service discovery: where the GeoReport v2 endpoint is, in which formats, and whom to ask for a key."""
    changeset = _changeset(settings)
    base = str(request.base_url).rstrip("/")
    document = {
        "changeset": changeset,
        "contact": settings.contact,
        "key_service": f"api_key(POST 用)は市が発行します。お問い合わせ: {settings.contact} "
        "(ask the city for an api_key to POST requests)",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base}/open311/v2",
                "changeset": changeset,
                "type": "production" if settings.env == "production" else "test",
                "formats": MEDIA_TYPES,
            }
        ],
    }
    return answer(fmt_of(request), "discovery", document)
