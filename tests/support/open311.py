"""Open311 test helpers: an app with an api_key, reports filed through the real service and published as staff
publish them in the console, and the GeoReport v2 specification's element lists that every XML answer must
follow (`assert_georeport_xml`)."""

from __future__ import annotations

import io
from pathlib import Path
from xml.etree import ElementTree

from fastapi.testclient import TestClient
from PIL import Image

from bot.privacy import mask_pii
from bot.reports.categories import load_categories
from bot.reports.photos import PhotoStore
from bot.reports.service import ReportDraft, submit_report
from bot.settings import load_settings
from bot.storage import reports as repo
from bot.storage.db import transaction

KEY = "open311-test-key-0123456789"
RESIDENT_KEY = "line-5ecre7pseudonym0000000000000000"


def open311_client(tmp_path: Path, **extra: object) -> TestClient:
    from bot.app import create_app

    settings = load_settings(
        data_dir=tmp_path / "var",
        embedder="hashing",
        env="test",
        secret_key="test-secret-key-not-for-production",
        rasa_port=9,
        actions_port=9,
        **{"open311_api_key": KEY, **extra},
    )
    return TestClient(create_app(settings))


def publish(client: TestClient, report_id: int, note: str = "", description: str | None = None) -> None:
    """What a staff member does in the console: approve the (masked) text, optionally with a public note."""
    with transaction(client.app.state.services.factory) as session:  # type: ignore[attr-defined]
        report = session.get(repo.Report, report_id)
        assert report is not None
        text = mask_pii(report.description) if description is None else description
        repo.publish(
            session,
            report_id,
            actor="tanaka",
            description=text,
            address=mask_pii(report.address_text),
            note=note,
        )


def add_report(  # type: ignore[no-untyped-def]
    client: TestClient, photo: bool = False, published: bool = True, **fields
) -> tuple[int, str, str | None]:
    app = client.app
    photo_id = None
    if photo:
        buf = io.BytesIO()
        Image.new("RGB", (8, 8)).save(buf, "JPEG")
        store = PhotoStore.from_settings(app.state.services.settings)  # type: ignore[attr-defined]
        photo_id = store.store_photo(buf.getvalue(), "image/jpeg").photo_id
    draft = ReportDraft(
        category=fields.pop("category", "road_damage"),
        reporter=RESIDENT_KEY,
        channel="line",
        reporter_ref="ref-secret",
        photo_ids=[photo_id] if photo_id else [],
        description=fields.pop("description", "穴があいています"),
        **fields,
    )
    services = app.state.services  # type: ignore[attr-defined]
    with transaction(services.factory) as session:
        out = submit_report(session, draft, load_categories(services.settings.report_categories_file))
    if published:
        publish(client, out.report_id)
    return out.report_id, out.case_number, photo_id


# The GeoReport v2 specification's elements (http://wiki.open311.org/GeoReport_v2, Service_Discovery): each
# element's children in order; a name ending in "?" may be left out. Wrappers hold repeated items.
REQUEST = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
]  # fmt: skip
SPEC_CHILDREN: dict[str, list[str]] = {
    "service": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
    "service_definition": ["service_code", "attributes"],
    "attribute": [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values?",
    ],  # fmt: skip
    "value": ["key", "name"],
    "error": ["code", "description"],
    "discovery": ["changeset", "contact", "key_service", "endpoints"],
    "endpoint": ["specification", "url", "changeset", "type", "formats"],
}
SPEC_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
CREATED = ["service_request_id", "service_notice", "account_id"]  # POST's answer (no token: not used)
BOOLEANS = {"metadata", "variable", "required"}


def _check(element: ElementTree.Element, request_fields: list[str]) -> None:
    tag = element.tag
    if tag in SPEC_ITEMS:
        assert all(child.tag == SPEC_ITEMS[tag] for child in element), (tag, [c.tag for c in element])
    elif tag in SPEC_CHILDREN or tag == "request":
        expected = request_fields if tag == "request" else SPEC_CHILDREN[tag]
        present = [child.tag for child in element]
        assert present == [n.rstrip("?") for n in expected if not n.endswith("?") or n[:-1] in present], tag
    else:
        assert len(element) == 0, f"<{tag}> should hold text, not elements"
        if tag in BOOLEANS:
            assert element.text in ("true", "false"), (tag, element.text)
    for child in element:
        _check(child, request_fields)


def assert_georeport_xml(content: bytes, root: str) -> ElementTree.Element:
    """`content` is a UTF-8 XML document with the declaration the specification asks for, whose root is `root`
    and whose every element has exactly the children the specification lists, in its order."""
    assert content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), content[:60]
    document = ElementTree.fromstring(content)
    assert document.tag == root
    created = root == "service_requests" and len(document) and document[0].find("status") is None
    _check(document, CREATED if created else REQUEST)
    return document
