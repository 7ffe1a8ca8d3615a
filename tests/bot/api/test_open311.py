"""Open311 GeoReport v2: field names, the api_key, no personal data, photos only after review."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from bot.reports.categories import load_categories
from bot.reports.photos import PhotoStore
from bot.reports.service import ReportDraft, change_status, mark_photo_reviewed, submit_report
from bot.settings import load_settings
from bot.storage.db import transaction

KEY = "open311-test-key-0123456789"
REQUEST_FIELDS = {
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
}
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
        open311_api_key=KEY,
        **extra,
    )
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    with open311_client(tmp_path) as test_client:
        yield test_client


def add_report(client: TestClient, photo: bool = False, **fields) -> tuple[int, str, str | None]:  # type: ignore[no-untyped-def]
    app = client.app
    photo_id = None
    if photo:
        buf = io.BytesIO()
        Image.new("RGB", (8, 8)).save(buf, "JPEG")
        photo_id = (
            PhotoStore.from_settings(app.state.services.settings)
            .store_photo(buf.getvalue(), "image/jpeg")
            .photo_id
        )
    draft = ReportDraft(
        category=fields.pop("category", "road_damage"),
        reporter=RESIDENT_KEY,
        channel="line",
        reporter_ref="ref-secret",
        photo_ids=[photo_id] if photo_id else [],
        description=fields.pop("description", "穴があいています"),
        **fields,
    )
    with transaction(app.state.services.factory) as session:
        out = submit_report(
            session, draft, load_categories(app.state.services.settings.report_categories_file)
        )
    return out.report_id, out.case_number, photo_id


def test_services_list_every_category(client: TestClient) -> None:
    services = client.get("/open311/v2/services.json").json()
    assert {s["service_code"] for s in services} >= {"road_damage", "illegal_dumping", "fallen_tree", "other"}
    for service in services:
        assert set(service) == {
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        }
        assert service["metadata"] is False and service["type"] == "realtime"


def test_request_fields_follow_georeport_v2_and_hide_personal_data(client: TestClient) -> None:
    _, case, _ = add_report(
        client,
        lat=35.68,
        lon=139.76,
        address_text="中央町1丁目2番3号の前",
        description="深い穴。折り返しは 090-1234-5678 か taro@example.jp へ",
    )
    response = client.get("/open311/v2/requests.json")
    assert response.status_code == 200
    (item,) = response.json()
    assert set(item) == REQUEST_FIELDS
    assert (
        item["service_request_id"] == case
        and item["status"] == "open"
        and item["service_code"] == "road_damage"
    )
    assert item["agency_responsible"] == "道路維持課" and item["requested_datetime"].endswith("+09:00")
    assert (item["lat"], item["long"]) == (35.68, 139.76)
    raw = response.text
    for secret in ("090-1234-5678", "taro@example.jp", "2番3号", RESIDENT_KEY, "ref-secret"):
        assert secret not in raw
    assert "[電話番号]" in item["description"] and "[メール]" in item["description"]
    assert client.get(f"/open311/v2/requests/{case}.json").json() == [item]
    missing = client.get("/open311/v2/requests/R-2000-000001.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


def test_unreviewed_photos_are_hidden(client: TestClient) -> None:
    rid, case, photo_id = add_report(client, photo=True)
    (item,) = client.get(f"/open311/v2/requests/{case}.json").json()
    assert item["media_url"] is None
    assert client.get(f"/open311/v2/media/{photo_id}.jpg").status_code == 404
    assert mark_photo_reviewed(client.app.state.services.factory, rid, photo_id, actor="tanaka")
    (item,) = client.get(f"/open311/v2/requests/{case}.json").json()
    assert item["media_url"].endswith(f"/open311/v2/media/{photo_id}.jpg")
    image = client.get(f"/open311/v2/media/{photo_id}.jpg")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"


def test_filters_status_and_service_code(client: TestClient) -> None:
    rid, done_case, _ = add_report(client)
    _, open_case, _ = add_report(client, category="illegal_dumping")
    change_status(
        client.app.state.services.factory, rid, "対応済み", actor="x", note="補修済み 担当 000-1111-2222"
    )
    closed = client.get("/open311/v2/requests.json", params={"status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [done_case]
    assert (
        closed[0]["status_notes"].startswith("対応済み") and "000-1111-2222" not in closed[0]["status_notes"]
    )
    dumping = client.get("/open311/v2/requests.json", params={"service_code": "illegal_dumping"}).json()
    assert [r["service_request_id"] for r in dumping] == [open_case]
    future = client.get(
        "/open311/v2/requests.json", params={"start_date": "2999-01-01T00:00:00+09:00"}
    ).json()
    assert future == []
    assert client.get("/open311/v2/requests.json", params={"status": "pending"}).status_code == 400
    assert client.get("/open311/v2/requests.json", params={"service_code": "nope"}).status_code == 404


def test_post_needs_the_api_key(client: TestClient) -> None:
    body = {"service_code": "road_damage", "lat": "35.68", "long": "139.76", "description": "穴"}
    for key in (None, "", "wrong-key"):
        data = body | ({"api_key": key} if key is not None else {})
        response = client.post("/open311/v2/requests.json", data=data)
        assert response.status_code == 403 and response.json()[0]["code"] == 403


def test_post_validates_and_creates(client: TestClient) -> None:
    post = lambda **kw: client.post("/open311/v2/requests.json", data={"api_key": KEY, **kw})  # noqa: E731
    assert post(service_code="nope", lat="35", long="139", description="x").status_code == 400
    assert post(service_code="road_damage", description="場所なし").status_code == 400
    assert post(service_code="road_damage", lat="35", long="139").status_code == 400
    assert post(service_code="road_damage", lat="abc", long="139", description="x").status_code == 400
    created = post(
        service_code="fallen_tree",
        address_string="北町公園の入口",
        description="木が倒れている",
        email="someone@example.jp",
        first_name="太郎",
    )
    assert created.status_code == 200
    (answer,) = created.json()
    assert answer["service_request_id"].startswith("R-") and set(answer) == {
        "service_request_id",
        "service_notice",
        "account_id",
    }
    (item,) = client.get(f"/open311/v2/requests/{answer['service_request_id']}.json").json()
    assert (
        item["address"] == "北町公園の入口"
        and item["lat"] is None
        and item["agency_responsible"] == "道路維持課"
    )
    assert "someone@example.jp" not in str(item)


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
        response = open_client.post(
            "/open311/v2/requests.json",
            data={"api_key": "", "service_code": "other", "address_string": "x", "description": "y"},
        )
        assert response.status_code == 403


def test_the_city_clock_dates_posted_cases_and_the_default_window(tmp_path: Path, far_server_tz: str) -> None:
    with open311_client(tmp_path, clock=datetime(2027, 1, 9, 10, 0)) as fixed:  # MADOGUCHI_CLOCK
        created = fixed.post(
            "/open311/v2/requests.json",
            data={"api_key": KEY, "service_code": "other", "address_string": "北町", "description": "x"},
        )
        (answer,) = created.json()
        assert answer["service_request_id"] == "R-2027-000001"
        (item,) = fixed.get("/open311/v2/requests.json").json()  # the last 90 days of the clock's "now"
        assert item["requested_datetime"] == "2027-01-09T10:00:00+09:00"
        no_offset = {"start_date": "2027-01-09T10:00:00", "end_date": "2027-01-09T10:00:00"}  # Japan time
        assert len(fixed.get("/open311/v2/requests.json", params=no_offset).json()) == 1
