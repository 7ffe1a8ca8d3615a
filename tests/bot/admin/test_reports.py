"""Reports in the console: filters, map data, detail with photos, status change and merge, exports, roles."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from bot.services import services_of
from bot.storage.db import transaction
from tests.support.admin import csrf_of


@pytest.fixture
def two_reports(admin_app):
    from bot.reports.categories import load_categories
    from bot.reports.photos import PhotoStore
    from bot.reports.service import ReportDraft, submit_report

    settings = services_of(admin_app).settings
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(buffer, "JPEG")
    photo = PhotoStore.from_settings(settings).store_photo(buffer.getvalue(), "image/jpeg")
    categories = load_categories(settings.report_categories_file)
    with transaction(services_of(admin_app).factory) as session:
        first = submit_report(
            session,
            ReportDraft(
                category="road_damage",
                description="穴があります 090-1234-5678",
                reporter="web-x",
                lat=35.0,
                lon=139.0,
                address_text="本町1丁目2番3号",
                photo_ids=[photo.photo_id],
            ),
            categories,
        )
        second = submit_report(
            session,
            ReportDraft(
                category="road_damage", description="同じ穴", reporter="web-y", lat=35.00001, lon=139.00001
            ),
            categories,
        )
    return first, second, photo.photo_id


def test_list_filters_map_data_and_masking(client_for, two_reports) -> None:
    first, second, _ = two_reports
    viewer = client_for("viewer")
    page = viewer.get("/admin/reports").text
    assert first.case_number in page and second.case_number in page
    assert "090-1234-5678" not in page and "[電話番号]" in page
    assert first.case_number not in viewer.get("/admin/reports", params={"status": "対応済み"}).text
    # (not a count of "R-": the page's random CSRF token can hold those two characters)
    street_lights = viewer.get("/admin/reports", params={"category": "street_light"}).text
    assert first.case_number not in street_lights and second.case_number not in street_lights
    mapped = viewer.get("/admin/reports", params={"view": "map"}).text
    assert "report-map" in mapped or "Leaflet" in mapped
    if "data-points" in mapped:
        points = json.loads(mapped.split('data-points="')[1].split('"')[0].replace("&#34;", '"'))
        assert {p["case"] for p in points} == {first.case_number, second.case_number}


def test_photo_route_is_authenticated_and_scoped(admin_app, client_for, two_reports) -> None:
    from fastapi.testclient import TestClient

    first, second, photo_id = two_reports
    viewer = client_for("viewer")
    assert viewer.get(f"/admin/reports/{first.report_id}").status_code == 200
    image = viewer.get(f"/admin/reports/{first.report_id}/photos/{photo_id}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert viewer.get(f"/admin/reports/{second.report_id}/photos/{photo_id}").status_code == 404
    anonymous = TestClient(admin_app).get(
        f"/admin/reports/{first.report_id}/photos/{photo_id}", follow_redirects=False
    )
    assert anonymous.status_code == 303


def test_status_change_merge_and_roles(admin_app, client_for, two_reports) -> None:
    from bot.storage.reports import Report

    first, second, _ = two_reports
    viewer, editor, handler = client_for("viewer"), client_for("editor"), client_for("report_handler")
    url = f"/admin/reports/{first.report_id}/status"
    assert viewer.post(url, data={"csrf_token": csrf_of(viewer), "status": "確認中"}).status_code == 403
    assert editor.post(url, data={"csrf_token": csrf_of(editor), "status": "確認中"}).status_code == 403
    token = csrf_of(handler)
    refused = handler.post(url, data={"csrf_token": token, "status": "対象外"})
    assert refused.status_code == 400 and "理由" in refused.text
    assert (
        handler.post(
            url,
            data={"csrf_token": token, "status": "確認中", "note": "現地を見ます"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    detail = handler.get(f"/admin/reports/{second.report_id}").text
    assert "重複としてまとめる" in detail
    merged = handler.post(
        f"/admin/reports/{second.report_id}/status",
        data={"csrf_token": token, "status": "重複", "duplicate_of": first.case_number},
        follow_redirects=False,
    )
    assert merged.status_code == 303
    with services_of(admin_app).factory() as session:
        assert session.get(Report, first.report_id).status == "確認中"
        merged_row = session.get(Report, second.report_id)
        assert merged_row.status == "重複" and merged_row.duplicate_of == first.report_id


def test_exports_masked_by_default(client_for, two_reports) -> None:
    first, _, _ = two_reports
    admin = client_for("admin")
    text = admin.get("/admin/reports/export.csv").content.decode("utf-8-sig")
    assert first.case_number in text and "090-1234-5678" not in text
    raw = admin.get("/admin/reports/export.csv?unmask=1").content.decode("utf-8-sig")
    assert "090-1234-5678" in raw
    geo = admin.get("/admin/reports/export.geojson").json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 2
    assert client_for("viewer").get("/admin/reports/export.csv?unmask=1").status_code == 403


def test_default_export_range_is_the_japan_date(client_for, two_reports, far_server_tz) -> None:
    first, second, _ = two_reports
    admin = client_for("admin")
    text = admin.get("/admin/reports/export.csv").content.decode("utf-8-sig")
    assert first.case_number in text and second.case_number in text
    assert first.case_number in admin.get("/admin/reports").text
