"""Issue 5 over the whole stack: a resident's report with a photo and a place, from LINE and from the widget, to
a stored case; a staff status change in the console pushes the news to the resident on LINE."""

from __future__ import annotations

import re
import subprocess
import uuid

import httpx
import pytest
from sqlalchemy import select

from bot.reports.photos import PhotoStore
from bot.run.devstack import MADOGUCHI
from bot.settings import REPO_ROOT, load_settings
from bot.storage.reports import Report, ReportEvent, ReportPhoto
from channels.line.fake import FakeLine, event, text_event
from tests.e2e.conftest import Stack
from tests.e2e.stack_support import (
    assert_no_metadata,
    converse,
    jpeg_with_gps,
    new_line_user,
    resident_key,
    stack_db,
)
from tests.support.admin import enrol

pytestmark = [pytest.mark.stack, pytest.mark.slow]

STAFF_PASSWORD = "e2e-handler-passphrase-7"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
CASE_NUMBER = re.compile(r"R-\d{4}-\d{6}")


def _reports_of(stack: Stack, reporter: str) -> list[tuple[Report, list[str]]]:
    with stack_db(stack) as session:
        reports = session.scalars(select(Report).where(Report.reporter == reporter)).all()
        return [
            (
                r,
                list(session.scalars(select(ReportPhoto.photo_id).where(ReportPhoto.report_id == r.id))),
            )
            for r in reports
        ]


def _stored_photo(stack: Stack, photo_id: str) -> bytes:
    store = PhotoStore.from_settings(load_settings(data_dir=stack.data_dir, _env_file=None))
    path = store.path_for(photo_id)
    assert path is not None, f"photo {photo_id} is not in the photo store"
    return path.read_bytes()


def _staff_client(stack: Stack) -> httpx.Client:
    """A console session of a report handler created with `madoguchi admin create-user`, as a city would."""
    username = f"e2e-handler-{uuid.uuid4().hex[:6]}"
    created = subprocess.run(
        [*MADOGUCHI, "admin", "create-user", username, "--role", "report_handler", "--password-stdin"],
        cwd=REPO_ROOT,
        env=stack.env,
        input=STAFF_PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stderr
    client = httpx.Client(base_url=stack.url, timeout=30)
    token = CSRF_FIELD.search(client.get("/admin/login").text)
    assert token is not None
    login = client.post(
        "/admin/login",
        data={"username": username, "password": STAFF_PASSWORD, "otp": "", "csrf_token": token.group(1)},
    )
    assert login.status_code == 303, login.text
    enrol(client, STAFF_PASSWORD)  # a report handler enrols the TOTP second factor at the first sign-in
    return client


def test_line_report_with_photo_and_location_then_status_pushed(stack: Stack, line: FakeLine) -> None:
    user = new_line_user()
    reporter = resident_key(stack, "line", user)
    # The photo was taken about 300 m from where the resident then says the hole is.
    photo_id = str(uuid.uuid4().int)[:18]
    line.contents[photo_id] = (jpeg_with_gps(39.7040, 140.1050), "image/jpeg")
    place = {"latitude": 39.70123, "longitude": 140.10045, "address": "みどり野市本町2丁目"}

    said = converse(stack, line, text_event("道路に穴があいています", user))
    assert "道路の穴・損傷" in said and "写真" in said
    said = converse(stack, line, event("message", user, message={"type": "image", "id": photo_id}))
    assert "写真を受け取りました" in said
    assert "写真を撮った場所(中央地区付近)を使いますか" in said  # GPS read before it was stripped
    assert [c.path for c in line.calls_of("content")] == [f"/v2/bot/message/{photo_id}/content"]
    location = {"type": "location", "id": str(uuid.uuid4().int)[:18], "title": "位置情報", **place}
    said = converse(stack, line, event("message", user, message=location))
    assert "みどり野市本町2丁目付近ですね" in said and "どのような状況か" in said
    said = converse(stack, line, text_event("車道の真ん中に直径30センチくらいの穴があります", user))
    assert "写真: 1枚" in said and "みどり野市本町2丁目" in said and "よろしいですか" in said
    said = converse(stack, line, text_event("はい", user))
    assert "通報を受け付けました" in said
    case = CASE_NUMBER.search(said)
    assert case is not None, said

    reports = _reports_of(stack, reporter)
    assert len(reports) == 1, reports
    report, photos = reports[0]
    assert report.case_number == case.group(0)
    assert (report.category, report.channel, report.status) == ("road_damage", "line", "受付")
    assert (report.lat, report.lon) == (place["latitude"], place["longitude"])  # the place sent, not the EXIF
    assert report.address_text == place["address"]
    assert len(photos) == 1
    assert_no_metadata(_stored_photo(stack, photos[0]))

    # Staff change the status in the console; the resident hears about it on LINE.
    line.reset()
    staff = _staff_client(stack)
    csrf = CSRF_META.search(staff.get("/admin/account").text)
    assert csrf is not None
    changed = staff.post(
        f"/admin/reports/{report.id}/status",
        data={"csrf_token": csrf.group(1), "status": "対応済み", "note": "穴を舗装しました"},
    )
    assert changed.status_code == 303, changed.text
    pushes = [d for d in line.delivered if d["via"] == "push"]
    assert len(pushes) == 1 and pushes[0]["to"] == user, line.delivered
    pushed = pushes[0]["messages"][0]["text"]
    assert report.case_number in pushed and "対応が完了しました" in pushed and "穴を舗装しました" in pushed
    assert pushes[0]["retry_key"]
    with stack_db(stack) as session:
        events = session.scalars(
            select(ReportEvent).where(ReportEvent.report_id == report.id).order_by(ReportEvent.id)
        ).all()
    assert [(e.status_to, e.notified_at is not None) for e in events] == [("受付", True), ("対応済み", True)]
    said = converse(stack, line, text_event("私の通報はどうなった？", user))
    # the status reply uses the push's words for the status (issue 17, item 19)
    assert report.case_number in said and "対応が完了しました" in said and "穴を舗装しました" in said


def test_widget_report_with_uploaded_jpeg(stack: Stack) -> None:
    sender = f"widget-{uuid.uuid4().hex[:8]}"
    reporter = resident_key(stack, "web", sender)

    def say(text: str, **metadata: object) -> dict:
        response = stack.chat(sender, text, **({"metadata": metadata} if metadata else {}))
        assert response.status_code == 200, response.text
        return response.json()

    def text_of(body: dict) -> str:
        return "\n".join(r["text"] for r in body["replies"])

    assert "道路の穴・損傷" in text_of(say("道路に穴があいています"))
    upload = f"{stack.url}/api/v1/uploads"
    refused = httpx.post(
        upload,
        data={"sender_id": sender},
        files={"file": ("photo.jpg", "これは写真ではありません".encode(), "image/jpeg")},
        timeout=30,
    )
    assert refused.status_code == 415 and "JPEG・PNG・WebP" in refused.json()["detail"]
    uploaded = httpx.post(
        upload,
        data={"sender_id": sender},
        files={"file": ("IMG_0001.jpg", jpeg_with_gps(39.6850, 140.0880), "image/jpeg")},
        timeout=30,
    )
    assert uploaded.status_code == 200, uploaded.text
    photo = uploaded.json()
    assert photo["gps"] == pytest.approx({"lat": 39.6850, "lon": 140.0880}, abs=1e-4)

    asked = text_of(
        say("[写真]", photo_ids=[photo["photo_id"]])
    )  # the conversation went on after the refusal
    assert "写真を受け取りました" in asked and "写真を撮った場所(若葉台地区付近)を使いますか" in asked
    assert "どのような状況か" in text_of(say("はい"))
    summary = text_of(say("歩道の段差が壊れています"))
    assert "写真: 1枚" in summary and "写真を撮った場所(若葉台地区付近)" in summary
    done = say("はい")
    assert done["report_id"] and done["report_id"] in text_of(done)

    reports = _reports_of(stack, reporter)
    assert len(reports) == 1, reports
    report, photos = reports[0]
    assert report.case_number == done["report_id"]
    assert (report.category, report.channel, report.description) == (
        "road_damage",
        "web",
        "歩道の段差が壊れています",
    )
    assert (report.lat, report.lon) == pytest.approx(
        (39.6850, 140.0880), abs=1e-6
    )  # the photo's own position
    assert photos == [photo["photo_id"]]
    assert_no_metadata(_stored_photo(stack, photo["photo_id"]))
