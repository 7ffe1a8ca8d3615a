"""bot.api.open311_format: the XML form of an answer (the specification's element names, UTF-8 Japanese,
empty elements for null, true/false, characters XML cannot carry left out), and the error list in both formats."""

from __future__ import annotations

import json
from xml.etree import ElementTree

from bot.api.open311_format import answer, error, to_xml


def test_a_list_becomes_its_items_under_the_wrapper_with_utf8_japanese() -> None:
    data = [
        {"service_code": "road_damage", "service_name": "道路の穴・損傷", "metadata": True, "lat": 35.681}
    ]
    document = to_xml("services", data)
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<services><service>')
    assert "道路の穴・損傷".encode() in document  # the characters themselves, not &#...; references
    (service,) = ElementTree.fromstring(document)
    assert service.tag == "service"
    assert [(c.tag, c.text) for c in service] == [
        ("service_code", "road_damage"),
        ("service_name", "道路の穴・損傷"),
        ("metadata", "true"),
        ("lat", "35.681"),
    ]


def test_null_is_an_empty_element_and_nested_lists_have_their_own_items() -> None:
    data = {
        "service_code": "water_leak",
        "attributes": [
            {"code": "flow", "datatype_description": None, "values": [{"key": "a", "name": "甲"}]}
        ],
    }
    root = ElementTree.fromstring(to_xml("service_definition", data))
    attribute = root.find("attributes/attribute")
    assert attribute is not None
    empty = attribute.find("datatype_description")
    assert empty is not None and empty.text is None and len(empty) == 0
    assert [(v.findtext("key"), v.findtext("name")) for v in attribute.iterfind("values/value")] == [
        ("a", "甲")
    ]
    endpoint = ElementTree.fromstring(to_xml("endpoint", {"formats": ["text/xml", "application/json"]}))
    formats = endpoint.find("formats")
    assert formats is not None and [(f.tag, f.text) for f in formats] == [
        ("format", "text/xml"),
        ("format", "application/json"),
    ]


def test_markup_is_escaped_and_characters_xml_cannot_carry_are_left_out() -> None:
    text = "<b>穴</b> & \x00\x01\x0bベル\ud800\ufffe\ttab\nline"
    document = to_xml("service_requests", [{"description": text}])
    parsed = ElementTree.fromstring(document)  # a well-formed document
    assert parsed.findtext("request/description") == "<b>穴</b> & ベル\ttab\nline"


def test_errors_in_both_formats() -> None:
    as_json = error("json", 404, "service_code not found")
    assert as_json.status_code == 404 and as_json.headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(as_json.body) == [{"code": 404, "description": "service_code not found"}]
    as_xml = error("xml", 403, "invalid api_key", {"X-Test": "1"})
    assert as_xml.status_code == 403 and as_xml.headers["content-type"] == "text/xml; charset=utf-8"
    assert as_xml.headers["x-test"] == "1"
    root = ElementTree.fromstring(as_xml.body)
    assert root.tag == "errors"
    assert [[(c.tag, c.text) for c in e] for e in root] == [
        [("code", "403"), ("description", "invalid api_key")]
    ]


def test_json_answers_keep_japanese_as_utf8() -> None:
    response = answer("json", "services", [{"service_name": "倒木・枝"}])
    assert "倒木・枝".encode() in response.body and b"\\u" not in response.body
