"""bot.api.open311_docs: the OpenAPI description of the Open311 routes names the body of every answer in both
formats (XML with the specification's element names), the link from a case list to its case, and the public
case model has no personal field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

from fastapi.testclient import TestClient

from bot.api import open311_docs as docs
from tests.support.open311 import CREATED, REQUEST, SPEC_CHILDREN, assert_georeport_xml

CONTRACTS = Path(__file__).resolve().parents[3] / "docs" / "contracts.md"

XML = "text/xml; charset=utf-8"
JSON = "application/json; charset=utf-8"


def test_every_open311_answer_is_described(app_client: TestClient) -> None:
    paths = app_client.get("/openapi.json").json()["paths"]
    for fmt in ("json", "xml"):
        listing = paths[f"/open311/v2/requests.{fmt}"]
        assert set(listing["get"]["responses"]) >= {"200", "400", "404", "429"}
        assert "Retry-After" in listing["get"]["responses"]["429"]["headers"]
        assert set(listing["post"]["responses"]) >= {"200", "400", "403", "404"}
        assert "404" in paths[f"/open311/v2/requests/{{case_number}}.{fmt}"]["get"]["responses"]
        assert {"200", "404"} <= set(
            paths[f"/open311/v2/services/{{service_code}}.{fmt}"]["get"]["responses"]
        )
        assert "200" in paths[f"/open311/v2/services.{fmt}"]["get"]["responses"]
        assert "200" in paths[f"/open311/discovery.{fmt}"]["get"]["responses"]
    links = paths["/open311/v2/requests.json"]["get"]["responses"]["200"]["links"]
    assert links["case"]["operationId"] == "open311_get_request"


def test_xml_answers_are_described_with_their_element_names(app_client: TestClient) -> None:
    paths = app_client.get("/openapi.json").json()["paths"]
    listed = paths["/open311/v2/requests.xml"]["get"]["responses"]
    assert set(listed["200"]["content"]) == {XML}
    schema = listed["200"]["content"][XML]["schema"]
    assert schema["xml"] == {"name": "service_requests", "wrapped": True}
    assert schema["items"]["xml"] == {"name": "request"}
    assert listed["400"]["content"][XML]["schema"]["items"]["xml"] == {"name": "error"}
    definition = paths["/open311/v2/services/{service_code}.xml"]["get"]["responses"]["200"]["content"]
    assert definition[XML]["schema"]["xml"] == {"name": "service_definition"}
    assert set(paths["/open311/v2/requests.json"]["get"]["responses"]["200"]["content"]) == {JSON}


def test_nested_lists_carry_their_item_names() -> None:
    attribute = docs.DefinitionOut.model_json_schema()["properties"]["attributes"]
    assert attribute["xml"] == {"name": "attributes", "wrapped": True} and attribute["items"]["xml"] == {
        "name": "attribute"
    }
    formats = docs.EndpointOut.model_json_schema()["properties"]["formats"]
    assert formats["items"] == {"type": "string", "xml": {"name": "format"}}


def test_the_public_case_has_no_personal_field() -> None:
    fields = set(docs.ServiceRequestOut.model_fields)
    assert "media_url" in fields and "service_request_id" in fields
    assert not fields & {
        "reporter",
        "reporter_ref",
        "email",
        "first_name",
        "last_name",
        "phone",
        "account_id",
    }


def open311_section() -> str:
    text = CONTRACTS.read_text(encoding="utf-8")
    start = text.index("## Open311")
    return text[start : text.index("\n## ", start + 1)]


def test_docs_name_every_open311_route(app_client: TestClient) -> None:
    section = (
        open311_section().replace("{xml,json}", "{fmt}").replace("{service_request_id}", "{case_number}")
    )
    for path in app_client.get("/openapi.json").json()["paths"]:
        if path.startswith("/open311/"):
            assert re.sub(r"\.(xml|json)$", ".{fmt}", path) in section, path


def _keys(value: object) -> list[list[str]]:
    """The key lists of every object in a JSON value."""
    if isinstance(value, dict):
        return [list(value)] + [k for v in value.values() for k in _keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


def test_the_docs_examples_are_what_the_specification_lists() -> None:
    blocks = re.findall(r"```(json|xml)\n(.*?)```", open311_section(), re.S)
    kinds = [kind for kind, _ in blocks]
    assert kinds.count("xml") >= 7 and kinds.count("json") >= 7  # one of each per endpoint, and an error
    lists = [*SPEC_CHILDREN.values(), REQUEST, CREATED]
    allowed = {tuple(n.rstrip("?") for n in names) for names in lists}
    allowed |= {tuple(n for n in names if not n.endswith("?")) for names in lists}  # optional ones left out
    for kind, block in blocks:
        if kind == "xml":
            assert_georeport_xml(block.encode(), ElementTree.fromstring(block.encode()).tag)
        else:
            for keys in _keys(json.loads(block)):
                assert tuple(keys) in allowed, keys
