"""bot.api.open311_services: the service list and the services' definitions in JSON and XML (metadata true with
the questions, a 404 in the error shape when false), service discovery, and the jurisdiction_id check."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.api.open311_services import jurisdiction_of
from tests.support.open311 import assert_georeport_xml, open311_client

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
JURISDICTION = "city.midorino.example"  # the host of the demo city's website (knowledge/data/city/city.json)


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    with open311_client(tmp_path) as test_client:
        yield test_client


def test_services_in_json_and_xml(client: TestClient) -> None:
    services = client.get("/open311/v2/services.json").json()
    assert {s["service_code"] for s in services} >= {"road_damage", "illegal_dumping", "fallen_tree", "other"}
    assert all(list(s) == SERVICE_FIELDS and s["type"] == "realtime" for s in services)
    metadata = {s["service_code"]: s["metadata"] for s in services}
    assert metadata["water_leak"] is True and metadata["other"] is False  # other asks nothing more
    response = client.get("/open311/v2/services.xml")
    assert response.status_code == 200 and response.headers["content-type"] == "text/xml; charset=utf-8"
    root = assert_georeport_xml(response.content, "services")
    assert [s.findtext("service_code") for s in root] == [s["service_code"] for s in services]
    assert [s.findtext("service_name") for s in root] == [s["service_name"] for s in services]  # Japanese
    assert root[0].findtext("metadata") in ("true", "false")


def test_a_service_definition_lists_its_questions(client: TestClient) -> None:
    definition = client.get("/open311/v2/services/water_leak.json").json()
    assert definition["service_code"] == "water_leak"
    (flow,) = definition["attributes"]
    assert list(flow) == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert (flow["code"], flow["datatype"], flow["required"], flow["order"]) == (
        "flow",
        "singlevaluelist",
        True,
        1,
    )
    assert {"key": "gushing", "name": "噴き出している"} in flow["values"]
    xml = client.get("/open311/v2/services/water_leak.xml")
    root = assert_georeport_xml(xml.content, "service_definition")
    assert root.findtext("attributes/attribute/values/value/name") == "にじみ出ている"
    light = client.get("/open311/v2/services/street_light.json").json()
    assert [a["order"] for a in light["attributes"]] == [1, 2]
    assert "values" not in light["attributes"][0]  # a string question has no list
    assert_georeport_xml(client.get("/open311/v2/services/street_light.xml").content, "service_definition")


def test_no_definition_is_a_404_in_the_error_shape(client: TestClient) -> None:
    for code, says in (("other", "metadata is false"), ("nope", "service_code not found")):
        as_json = client.get(f"/open311/v2/services/{code}.json")
        assert as_json.status_code == 404 and says in as_json.json()[0]["description"]
        as_xml = client.get(f"/open311/v2/services/{code}.xml")
        assert as_xml.status_code == 404
        error = assert_georeport_xml(as_xml.content, "errors")
        assert error.findtext("error/code") == "404" and says in (error.findtext("error/description") or "")


def test_discovery_names_the_endpoint_and_its_formats(client: TestClient) -> None:
    for path in ("/open311/discovery.json", "/open311/v2/discovery.json"):
        document = client.get(path).json()
        assert list(document) == ["changeset", "contact", "key_service", "endpoints"]
        (endpoint,) = document["endpoints"]
        assert endpoint["url"] == "http://testserver/open311/v2" and endpoint["type"] == "test"
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert document["changeset"].endswith("Z") and "000-0000-1000" in document["contact"]
    root = assert_georeport_xml(client.get("/open311/discovery.xml").content, "discovery")
    formats = [f.text for f in root.iterfind("endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]
    assert client.get("/open311/v2/discovery.xml").content == client.get("/open311/discovery.xml").content


def test_jurisdiction_id_is_accepted_and_checked(client: TestClient) -> None:
    assert jurisdiction_of(client.app.state.services.settings) == JURISDICTION  # type: ignore[attr-defined]
    paths = [
        "/open311/v2/services.{}",
        "/open311/v2/services/water_leak.{}",
        "/open311/v2/requests.{}",
        "/open311/v2/requests/R-2027-000001.{}",
    ]
    for path in paths:
        for fmt in ("json", "xml"):
            url = path.format(fmt)
            ours = client.get(url, params={"jurisdiction_id": JURISDICTION.upper()})
            assert ours.status_code == client.get(url).status_code, url
            other = client.get(url, params={"jurisdiction_id": "city.elsewhere.example"})
            assert other.status_code == 404, url
            body = other.json()[0] if fmt == "json" else {"description": other.text}
            assert "jurisdiction_id not found" in body["description"], url


def test_without_a_city_website_no_jurisdiction_id_matches(tmp_path: Path) -> None:
    city = tmp_path / "city"
    city.mkdir()
    (city / "city.json").write_text('{"name": "サンプル町"}', encoding="utf-8")
    with open311_client(tmp_path, city_data_dir=city) as client:
        assert client.get("/open311/v2/services.json").status_code == 200
        assert client.get("/open311/v2/services.json", params={"jurisdiction_id": ""}).status_code == 200
        refused = client.get("/open311/v2/services.json", params={"jurisdiction_id": "anything"})
        assert refused.status_code == 404
