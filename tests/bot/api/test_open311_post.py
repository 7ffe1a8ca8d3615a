"""Open311 GeoReport v2 POST requests.json|xml: the api_key, validation, the services' questions
(`attribute[code]`), jurisdiction_id, and the answer in the asked format."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.settings import load_settings
from bot.storage.reports import Report
from tests.support.open311 import KEY, open311_client

PLACE = {"lat": "35.68", "long": "139.76"}


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    with open311_client(tmp_path) as test_client:
        yield test_client


def stored(client: TestClient, case_number: str) -> Report:
    with client.app.state.services.factory() as session:  # type: ignore[attr-defined]
        report = session.scalar(select(Report).where(Report.case_number == case_number))
        assert report is not None
        return report


def test_post_needs_the_api_key_in_both_formats(client: TestClient) -> None:
    body = {"service_code": "road_damage", **PLACE, "description": "穴"}
    for key in (None, "", "wrong-key"):
        data = body | ({"api_key": key} if key is not None else {})
        response = client.post("/open311/v2/requests.json", data=data)
        assert response.status_code == 403 and response.json() == [
            {"code": 403, "description": "invalid api_key"}
        ]
        response = client.post("/open311/v2/requests.xml", data=data)
        assert response.status_code == 403 and response.headers["content-type"] == "text/xml; charset=utf-8"
        error = ElementTree.fromstring(response.content)
        assert error.tag == "errors" and [e.tag for e in error] == ["error"]
        assert [(c.tag, c.text) for c in error[0]] == [("code", "403"), ("description", "invalid api_key")]


def test_post_validates_and_creates(client: TestClient) -> None:
    post = lambda **kw: client.post("/open311/v2/requests.json", data={"api_key": KEY, **kw})  # noqa: E731
    assert post(service_code="nope", lat="35", long="139", description="x").status_code == 400
    assert post(service_code="road_damage", description="場所なし").status_code == 400
    assert post(service_code="road_damage", lat="35", long="139").status_code == 400
    assert post(service_code="road_damage", lat="abc", long="139", description="x").status_code == 400
    assert post(service_code="road_damage", lat="nan", long="139", description="x").status_code == 400
    created = post(
        service_code="fallen_tree",
        address_string="北町公園の入口",
        description="木が倒れている",
        email="someone@example.jp",
        first_name="太郎",
    )
    assert created.status_code == 200
    (answer,) = created.json()
    assert answer["service_request_id"].startswith("R-") and list(answer) == [
        "service_request_id",
        "service_notice",
        "account_id",
    ]
    report = stored(client, answer["service_request_id"])
    assert (report.address_text, report.lat, report.department) == ("北町公園の入口", None, "道路維持課")
    assert report.channel == "open311" and "someone@example.jp" not in report.description
    assert report.published_at is None  # private until staff review it
    assert client.get(f"/open311/v2/requests/{answer['service_request_id']}.json").status_code == 404


def test_an_xml_post_creates_and_answers_in_xml(client: TestClient) -> None:
    data = {"api_key": KEY, "service_code": "road_damage", **PLACE, "description": "歩道に段差、つまずきそう"}
    response = client.post("/open311/v2/requests.xml", data=data)
    assert response.status_code == 200 and response.content.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>'
    )
    root = ElementTree.fromstring(response.content)
    assert root.tag == "service_requests" and [r.tag for r in root] == ["request"]
    assert [c.tag for c in root[0]] == ["service_request_id", "service_notice", "account_id"]
    case = root[0].findtext("service_request_id") or ""
    assert stored(client, case).description == "歩道に段差、つまずきそう"
    bad = client.post("/open311/v2/requests.xml", data={**data, "service_code": "nope"})
    assert bad.status_code == 400 and ElementTree.fromstring(bad.content)[0].findtext("code") == "400"


def test_the_services_questions_are_checked_and_kept_for_staff(client: TestClient) -> None:
    base = {"api_key": KEY, **PLACE, "description": "水が出ています"}
    missing = client.post("/open311/v2/requests.json", data={**base, "service_code": "water_leak"})
    assert missing.status_code == 400 and "attribute[flow] is required" in missing.json()[0]["description"]
    wrong = {**base, "service_code": "water_leak", "attribute[flow]": "flood"}
    assert "seeping" in client.post("/open311/v2/requests.json", data=wrong).json()[0]["description"]
    ok = client.post(
        "/open311/v2/requests.json", data={**base, "service_code": "water_leak", "attribute[flow]": "gushing"}
    )
    assert ok.status_code == 200
    assert (
        stored(client, ok.json()[0]["service_request_id"]).description
        == "水が出ています\n\n水の出方: 噴き出している"
    )
    several = client.post(
        "/open311/v2/requests.json",
        data={
            **base,
            "description": "ごみが捨てられている",
            "service_code": "illegal_dumping",
            "attribute[waste_kind][]": ["tire", "appliance"],
            "attribute[unknown]": "ignored",
        },
    )
    assert several.status_code == 200
    text = stored(client, several.json()[0]["service_request_id"]).description
    assert text.endswith("ごみの種類: タイヤ、家電(テレビ・冷蔵庫など)") and "ignored" not in text


def test_a_json_body_with_nested_attributes(client: TestClient) -> None:
    body = {"api_key": KEY, "service_code": "street_light", **PLACE, "description": "消えている"}
    body["attribute"] = {"pole_number": "本町-0123", "problem": "off"}
    response = client.post("/open311/v2/requests.json", json=body)
    assert response.status_code == 200, response.text
    text = stored(client, response.json()[0]["service_request_id"]).description
    assert text == "消えている\n\n柱の番号札: 本町-0123\n状態: 点灯しない"


def test_a_long_description_gives_way_to_the_answers(client: TestClient) -> None:
    data = {"api_key": KEY, "service_code": "water_leak", **PLACE, "attribute[flow]": "seeping"}
    response = client.post("/open311/v2/requests.json", data={**data, "description": "漏" * 3000})
    text = stored(client, response.json()[0]["service_request_id"]).description
    assert len(text) <= 2000 and text.endswith("水の出方: にじみ出ている")


def test_post_checks_the_jurisdiction(client: TestClient) -> None:
    data = {"api_key": KEY, "service_code": "other", "address_string": "北町", "description": "x"}
    other = client.post(
        "/open311/v2/requests.xml", data={**data, "jurisdiction_id": "city.elsewhere.example"}
    )
    assert other.status_code == 404 and b"jurisdiction_id not found" in other.content
    ours = client.post("/open311/v2/requests.json", data={**data, "jurisdiction_id": "city.midorino.example"})
    assert ours.status_code == 200


def test_post_is_refused_when_no_key_is_configured(tmp_path: Path) -> None:
    from bot.app import create_app

    settings = load_settings(
        data_dir=tmp_path / "var",
        embedder="hashing",
        env="test",
        secret_key="test-secret-key-not-for-production",
        rasa_port=9,
        actions_port=9,
    )
    with TestClient(create_app(settings)) as open_client:
        for fmt in ("json", "xml"):
            response = open_client.post(
                f"/open311/v2/requests.{fmt}",
                data={"api_key": "", "service_code": "other", "address_string": "x", "description": "y"},
            )
            assert response.status_code == 403
