"""Open311 GeoReport v2 cases (GET): field names, only what staff published, the approved text and a public
note instead of the resident's words and the staff notes, rounded coordinates, photos only after review."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.reports.service import change_status, mark_photo_reviewed
from bot.storage import reports as repo
from bot.storage.db import transaction
from tests.support.open311 import KEY, RESIDENT_KEY, add_report, open311_client, publish

REQUEST_FIELDS = [  # GeoReport v2, GET Service Requests, in the specification's order
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    with open311_client(tmp_path) as test_client:
        yield test_client


def test_request_fields_follow_georeport_v2_and_hide_personal_data(client: TestClient) -> None:
    _, case, _ = add_report(
        client,
        lat=35.681236,
        lon=139.767125,
        address_text="中央町1丁目2番3号の前",
        description="深い穴。折り返しは 090-1234-5678 か taro@example.jp へ",
    )
    response = client.get("/open311/v2/requests.json")
    assert (
        response.status_code == 200 and response.headers["content-type"] == "application/json; charset=utf-8"
    )
    (item,) = response.json()
    assert list(item) == REQUEST_FIELDS
    assert (
        item["service_request_id"] == case
        and item["status"] == "open"
        and item["service_code"] == "road_damage"
    )
    assert item["agency_responsible"] == "道路維持課" and item["requested_datetime"].endswith("+09:00")
    assert (item["lat"], item["long"]) == (35.681, 139.767)  # about 100 m, not the resident's door
    raw = response.text
    for secret in ("090-1234-5678", "taro@example.jp", "2番3号", RESIDENT_KEY, "ref-secret", "35.681236"):
        assert secret not in raw
    assert "[電話番号]" in item["description"] and "[メール]" in item["description"]
    assert client.get(f"/open311/v2/requests/{case}.json").json() == [item]
    missing = client.get("/open311/v2/requests/R-2000-000001.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


def test_only_cases_staff_published_are_public(client: TestClient) -> None:
    rid, hidden, photo_id = add_report(client, photo=True, published=False, description="田中一郎の家の前")
    _, shown, _ = add_report(client, description="歩道の段差")
    assert [r["service_request_id"] for r in client.get("/open311/v2/requests.json").json()] == [shown]
    by_id = client.get("/open311/v2/requests.json", params={"service_request_id": f"{hidden},{shown}"})
    assert [r["service_request_id"] for r in by_id.json()] == [shown]
    assert client.get(f"/open311/v2/requests/{hidden}.json").status_code == 404
    assert client.get(f"/open311/v2/requests/{hidden}.xml").status_code == 404
    assert "田中" not in client.get("/open311/v2/requests.xml").text
    mark_photo_reviewed(client.app.state.services.factory, rid, photo_id, actor="tanaka")  # type: ignore[attr-defined]
    assert client.get(f"/open311/v2/media/{photo_id}.jpg").status_code == 404  # its case is not public
    publish(client, rid, description="住宅前の道路の穴")  # staff took the name out
    (item,) = client.get(f"/open311/v2/requests/{hidden}.json").json()
    assert item["description"] == "住宅前の道路の穴" and item["media_url"].endswith(f"/{photo_id}.jpg")
    assert client.get(f"/open311/v2/media/{photo_id}.jpg").status_code == 200
    with transaction(client.app.state.services.factory) as session:  # type: ignore[attr-defined]
        repo.withdraw(session, rid)
    assert client.get(f"/open311/v2/requests/{hidden}.json").status_code == 404
    assert client.get(f"/open311/v2/media/{photo_id}.jpg").status_code == 404


def test_the_public_note_is_published_and_the_staff_notes_are_not(client: TestClient) -> None:
    rid, case, _ = add_report(client)
    factory = client.app.state.services.factory  # type: ignore[attr-defined]
    change_status(factory, rid, "対応予定", actor="x", note="山田様宅の前、来週火曜に職員の佐藤が伺います")
    (item,) = client.get(f"/open311/v2/requests/{case}.json").json()
    assert item["status_notes"] == "対応予定" and "佐藤" not in str(item) and "山田" not in str(item)
    publish(client, rid, note="来週補修の予定です。問い合わせ 000-1111-2222")
    (item,) = client.get(f"/open311/v2/requests/{case}.json").json()
    assert item["status_notes"] == "対応予定: 来週補修の予定です。問い合わせ [電話番号]"


def test_unreviewed_photos_are_hidden(client: TestClient) -> None:
    rid, case, photo_id = add_report(client, photo=True)
    (item,) = client.get(f"/open311/v2/requests/{case}.json").json()
    assert item["media_url"] is None
    assert client.get(f"/open311/v2/media/{photo_id}.jpg").status_code == 404
    assert mark_photo_reviewed(client.app.state.services.factory, rid, photo_id, actor="tanaka")  # type: ignore[attr-defined]
    (item,) = client.get(f"/open311/v2/requests/{case}.json").json()
    assert item["media_url"].endswith(f"/open311/v2/media/{photo_id}.jpg")
    image = client.get(f"/open311/v2/media/{photo_id}.jpg")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"


def test_filters_status_and_service_code(client: TestClient) -> None:
    rid, done_case, _ = add_report(client)
    _, open_case, _ = add_report(client, category="illegal_dumping")
    change_status(client.app.state.services.factory, rid, "対応済み", actor="x", note="補修済み")  # type: ignore[attr-defined]
    closed = client.get("/open311/v2/requests.json", params={"status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [done_case]
    assert closed[0]["status_notes"] == "対応済み"
    dumping = client.get("/open311/v2/requests.json", params={"service_code": "illegal_dumping"}).json()
    assert [r["service_request_id"] for r in dumping] == [open_case]
    future = client.get(
        "/open311/v2/requests.json", params={"start_date": "2999-01-01T00:00:00+09:00"}
    ).json()
    assert future == []
    assert client.get("/open311/v2/requests.json", params={"status": "pending"}).status_code == 400
    assert client.get("/open311/v2/requests.json", params={"service_code": "nope"}).status_code == 404


def test_a_duplicate_names_the_case_it_repeats(client: TestClient) -> None:
    _, first, _ = add_report(client)
    rid, _, _ = add_report(client)
    change_status(client.app.state.services.factory, rid, "重複", actor="x", duplicate_of=first)  # type: ignore[attr-defined]
    newest = client.get("/open311/v2/requests.json").json()[0]
    assert newest["status"] == "closed" and newest["status_notes"] == f"重複: {first} と同じ内容"


def test_the_city_clock_dates_posted_cases_and_the_default_window(tmp_path: Path, far_server_tz: str) -> None:
    with open311_client(tmp_path, clock=datetime(2027, 1, 9, 10, 0)) as fixed:  # MADOGUCHI_CLOCK
        created = fixed.post(
            "/open311/v2/requests.json",
            data={"api_key": KEY, "service_code": "other", "address_string": "北町", "description": "x"},
        )
        (answer,) = created.json()
        assert answer["service_request_id"] == "R-2027-000001"
        with fixed.app.state.services.factory() as session:  # type: ignore[attr-defined]
            report_id = repo.get_by_case_number(session, "R-2027-000001").id  # type: ignore[union-attr]
        publish(fixed, report_id)
        (item,) = fixed.get("/open311/v2/requests.json").json()  # the last 90 days of the clock's "now"
        assert item["requested_datetime"] == "2027-01-09T10:00:00+09:00"
        no_offset = {"start_date": "2027-01-09T10:00:00", "end_date": "2027-01-09T10:00:00"}  # Japan time
        assert len(fixed.get("/open311/v2/requests.json", params=no_offset).json()) == 1
