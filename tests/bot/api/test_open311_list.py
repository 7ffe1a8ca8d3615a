"""The Open311 case list (bot.api.open311): the XML form follows the specification's elements, the list loads
in a fixed number of SQL statements whatever its length, and it is rate limited per client address."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from bot.reports.service import change_status, mark_photo_reviewed
from tests.support.open311 import add_report, assert_georeport_xml, open311_client


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    with open311_client(tmp_path) as test_client:
        yield test_client


@contextmanager
def counted_statements(client: TestClient) -> Iterator[list[str]]:
    """Every SQL statement the app sends while the block runs."""
    engine = client.app.state.services.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def add_full_reports(client: TestClient, count: int) -> None:
    """Reports with everything the public view reads: a reviewed photo, and every other one a duplicate."""
    factory = client.app.state.services.factory  # type: ignore[attr-defined]
    first = None
    for i in range(count):
        rid, case, photo_id = add_report(client, photo=True, lat=35.0 + i / 1000, lon=139.0)
        assert photo_id is not None
        mark_photo_reviewed(factory, rid, photo_id, actor="tanaka")
        if first is None:
            first = case
        elif i % 2:
            change_status(factory, rid, "重複", actor="tanaka", duplicate_of=first)


def test_the_list_loads_in_a_fixed_number_of_statements(client: TestClient) -> None:
    add_full_reports(client, 3)
    with counted_statements(client) as few:
        assert len(client.get("/open311/v2/requests.json").json()) == 3
    add_full_reports(client, 12)
    with counted_statements(client) as many:
        listed = client.get("/open311/v2/requests.xml")
    assert len(assert_georeport_xml(listed.content, "service_requests")) == 15
    assert len(many) == len(few) <= 2, many
    assert listed.text.count("/open311/v2/media/") == 15 and listed.text.count("と同じ内容") == 7


def test_the_xml_list_follows_the_specification(client: TestClient) -> None:
    _, case, _ = add_report(client, lat=35.6812, lon=139.7671, description="ガードレールが曲がっている")
    response = client.get("/open311/v2/requests.xml")
    assert response.status_code == 200 and response.headers["content-type"] == "text/xml; charset=utf-8"
    root = assert_georeport_xml(response.content, "service_requests")
    (request,) = root
    assert request.findtext("service_request_id") == case
    assert request.findtext("description") == "ガードレールが曲がっている"
    assert (request.findtext("lat"), request.findtext("long")) == ("35.681", "139.767")
    expected = request.find("expected_datetime")  # null: an empty element
    assert expected is not None and expected.text is None and len(expected) == 0
    as_json = client.get("/open311/v2/requests.json").json()[0]
    assert {c.tag: c.text for c in request}["status_notes"] == as_json["status_notes"]
    one = client.get(f"/open311/v2/requests/{case}.xml")
    assert assert_georeport_xml(one.content, "service_requests")[0].findtext("service_request_id") == case
    empty = client.get("/open311/v2/requests.xml", params={"status": "closed"})
    assert empty.content.endswith(b"<service_requests />")
    bad = client.get("/open311/v2/requests.xml", params={"start_date": "yesterday"})
    assert (
        bad.status_code == 400 and assert_georeport_xml(bad.content, "errors").findtext("error/code") == "400"
    )


def test_the_list_is_rate_limited_per_address(tmp_path: Path) -> None:
    with open311_client(tmp_path, open311_rate_per_minute=3) as client:
        assert [client.get("/open311/v2/requests.json").status_code for _ in range(3)] == [200] * 3
        limited = client.get("/open311/v2/requests.json")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert limited.json()[0]["code"] == 429
        as_xml = client.get("/open311/v2/requests.xml")
        assert as_xml.status_code == 429
        assert assert_georeport_xml(as_xml.content, "errors").findtext("error/code") == "429"
        assert client.get("/open311/v2/services.json").status_code == 200  # only the list is limited
