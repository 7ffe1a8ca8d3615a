"""Issue 20 over the whole stack: `georeport` (PyPI), a GeoReport v2 client no one here wrote, talks to the
launcher-started gateway in XML and in JSON. It lists the services and reads their definitions, and lists and
fetches cases; a case POSTed with the api_key becomes public only once staff published it (issue 17, item 5).
Every XML answer is checked against the specification's element lists."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import requests
from georeport import GeoReport

from bot.storage import reports as repo
from tests.e2e.conftest import Stack
from tests.e2e.stack_support import stack_db
from tests.support.open311 import assert_georeport_xml

pytestmark = [pytest.mark.stack, pytest.mark.slow]

JURISDICTION = "city.midorino.example"  # the host of the demo city's website


@pytest.fixture(params=["xml", "json"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def client_for(stack: Stack, fmt: str) -> GeoReport:
    return GeoReport(f"{stack.url}/open311/v2", jurisdiction=JURISDICTION, output_format=fmt)


def as_list(found: Any) -> list[dict]:
    """xmltodict gives one repeated element as a dict, several as a list."""
    return found if isinstance(found, list) else [found]


def post(stack: Stack, fmt: str, **fields: str) -> httpx.Response:
    form = {"api_key": stack.env["MADOGUCHI_OPEN311_API_KEY"], "jurisdiction_id": JURISDICTION, **fields}
    return httpx.post(f"{stack.url}/open311/v2/requests.{fmt}", data=form, timeout=30)


def publish(stack: Stack, case_number: str, description: str, note: str = "") -> None:
    """What a report handler does in the console's publication card (tested in tests/bot/admin)."""
    with stack_db(stack) as session:
        report = repo.get_by_case_number(session, case_number)
        assert report is not None
        repo.publish(session, report.id, actor="e2e-handler", description=description, note=note)
        session.commit()


def test_the_client_lists_services_and_reads_definitions(stack: Stack, fmt: str) -> None:
    client = client_for(stack, fmt)
    services = {s["service_code"]: s for s in client.get_service_list()}
    assert {"road_damage", "street_light", "illegal_dumping", "water_leak", "other"} <= set(services)
    assert services["road_damage"]["service_name"] == "道路の穴・損傷"  # UTF-8 Japanese intact
    assert str(services["water_leak"]["metadata"]).lower() == "true"
    assert str(services["other"]["metadata"]).lower() == "false"
    definition = client.get_service_definition("illegal_dumping")
    attributes = definition["attributes"] if fmt == "json" else as_list(definition["attributes"]["attribute"])
    assert definition["service_code"] == "illegal_dumping"
    assert [a["code"] for a in attributes] == ["waste_kind", "amount"]
    values = attributes[0]["values"] if fmt == "json" else attributes[0]["values"]["value"]
    assert {"key": "tire", "name": "タイヤ"} in values
    with pytest.raises(requests.HTTPError) as no_definition:
        client.get_service_definition("other")
    assert no_definition.value.response.status_code == 404
    if fmt == "xml":
        for path, root in (("services.xml", "services"), ("services/water_leak.xml", "service_definition")):
            assert_georeport_xml(httpx.get(f"{stack.url}/open311/v2/{path}", timeout=30).content, root)
        missing = httpx.get(f"{stack.url}/open311/v2/services/other.xml", timeout=30)
        assert assert_georeport_xml(missing.content, "errors").findtext("error/code") == "404"


def test_a_posted_case_is_listed_and_fetched_once_published(stack: Stack, fmt: str) -> None:
    refused = post(stack, fmt, api_key="not-the-key", service_code="road_damage", lat="39.7", long="140.1")
    assert refused.status_code == 403
    if fmt == "xml":
        error = assert_georeport_xml(refused.content, "errors")
        assert (error.findtext("error/code"), error.findtext("error/description")) == (
            "403",
            "invalid api_key",
        )
    else:
        assert refused.json() == [{"code": 403, "description": "invalid api_key"}]

    created = post(
        stack,
        fmt,
        service_code="water_leak",
        lat="39.701234",
        long="140.105678",
        description="歩道の脇から水が噴き出しています。鈴木さんの家の前です",
        **{"attribute[flow]": "gushing"},
    )
    assert created.status_code == 200, created.text
    if fmt == "xml":
        case = assert_georeport_xml(created.content, "service_requests").findtext(
            "request/service_request_id"
        )
    else:
        case = created.json()[0]["service_request_id"]
    assert case and case.startswith("R-2027-")  # the stack's city clock (MADOGUCHI_CLOCK) is in 2027

    client = client_for(stack, fmt)
    with pytest.raises(requests.HTTPError) as private:
        client.get_service_request(case)  # nothing is public before staff review
    assert private.value.response.status_code == 404
    publish(stack, case, "歩道の脇から水が噴き出しています", note="上下水道課が確認に向かいます")

    listed = as_list(client.get_service_requests(service_request_id=case))
    fetched = client.get_service_request(case)
    assert listed == [fetched]
    assert fetched["service_request_id"] == case and fetched["service_code"] == "water_leak"
    assert fetched["description"] == "歩道の脇から水が噴き出しています" and "鈴木" not in str(fetched)
    assert fetched["status_notes"] == "受付: 上下水道課が確認に向かいます"
    assert (str(fetched["lat"]), str(fetched["long"])) == ("39.701", "140.106")  # rounded
    recent = [r["service_request_id"] for r in as_list(client.get_service_requests(status="open"))]
    assert case in recent
    if fmt == "xml":
        for path in (f"requests/{case}.xml", "requests.xml"):
            assert_georeport_xml(
                httpx.get(f"{stack.url}/open311/v2/{path}", timeout=30).content, "service_requests"
            )


def test_discovery_in_both_formats(stack: Stack, fmt: str) -> None:
    response = httpx.get(f"{stack.url}/open311/discovery.{fmt}", timeout=30)
    assert response.status_code == 200
    if fmt == "xml":
        root = assert_georeport_xml(response.content, "discovery")
        url = root.findtext("endpoints/endpoint/url")
    else:
        url = response.json()["endpoints"][0]["url"]
    assert url == f"{stack.url}/open311/v2"
