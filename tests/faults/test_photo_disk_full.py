"""Disk full for photos: the report is still saved (without the photo), staff get an alert, the resident is told.

The disk is really full: the photo's temp file is a symlink to /dev/full, so the kernel answers ENOSPC.
"""

from __future__ import annotations

import asyncio
import io
import os
import types
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fault_support import CHANNEL_SECRET, StubRasa, gateway_app
from PIL import Image
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import reports as report_actions
from actions.runtime import Runtime
from bot.reports import photos
from bot.reports.photos import MSG_UNAVAILABLE, PhotoStore
from bot.storage import reports as repo
from bot.storage.reports import Report, ReportPhoto, StaffAlert
from channels.line.fake import FakeLine, event, signed_headers, text_event, webhook_body
from tests.support.citydata import render

FULL_ID = "f" * 32


@pytest.fixture
def disk_full(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Every photo written from now on lands on /dev/full."""

    def arm(store: PhotoStore) -> None:
        store.root.mkdir(parents=True, exist_ok=True)
        os.symlink("/dev/full", store.root / f"{FULL_ID}.tmp")
        monkeypatch.setattr(photos, "secrets", types.SimpleNamespace(token_hex=lambda n: FULL_ID))

    return arm


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def submit(rt: Runtime, sender: str, channel: str, photos_slot: object) -> str:
    """The report form's last step, as the action server runs it."""
    tracker = Tracker(
        sender_id=sender,
        slots={
            "report_category": "road_damage",
            "report_photos": photos_slot,
            "report_location": "skip",
            "report_description": "道路に穴があいています",
            "report_confirm": "yes",
        },
        latest_message={"text": "はい", "intent": {}, "entities": [], "metadata": {"channel": channel}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    asyncio.run(report_actions.ActionSubmitReport(rt).run(dispatcher, tracker, {}))
    return "\n".join(render(m) for m in dispatcher.messages)  # responses as residents read them


def alerts(app) -> list[StaffAlert]:  # type: ignore[no-untyped-def]
    with app.state.services.factory() as session:
        return list(session.scalars(select(StaffAlert)))


def test_web_upload_on_a_full_disk_then_report_without_photo(
    tmp_path: Path, fake_line: FakeLine, disk_full
) -> None:  # type: ignore[no-untyped-def]
    app = gateway_app(tmp_path / "var", "", fake_line, StubRasa())
    settings = app.state.services.settings
    rt = Runtime.assemble(settings, app.state.services.factory, None)  # type: ignore[arg-type]
    disk_full(PhotoStore.from_settings(settings))
    with TestClient(app) as client:
        upload = client.post(
            "/api/v1/uploads",
            data={"sender_id": "web-resident"},
            files={"file": ("IMG_0001.jpg", jpeg(), "image/jpeg")},
        )
        assert upload.status_code == 503
        assert upload.json()["detail"] == MSG_UNAVAILABLE  # the resident is told, and may go on without it
        said = submit(rt, "web-resident", "web", "skip")
    assert "通報を受け付けました" in said and "受付番号: R-" in said
    with app.state.services.factory() as session:
        report = session.scalars(select(Report)).one()
        assert report.description == "道路に穴があいています"
        assert session.scalars(select(ReportPhoto)).all() == []
        assert repo.open_alert_counts(session) == {"photo_store_unavailable": 1}
    assert "No space left on device" in alerts(app)[0].details["error"]
    assert not [p for p in PhotoStore.from_settings(settings).root.iterdir() if p.name != f"{FULL_ID}.tmp"]


def test_line_photo_on_a_full_disk_alerts_staff_and_tells_the_resident(
    tmp_path: Path, fake_line: FakeLine, disk_full
) -> None:  # type: ignore[no-untyped-def]
    rasa = StubRasa()
    app = gateway_app(tmp_path / "var", "", fake_line, rasa)
    settings = app.state.services.settings
    rt = Runtime.assemble(settings, app.state.services.factory, None)  # type: ignore[arg-type]
    disk_full(PhotoStore.from_settings(settings))
    fake_line.contents["7001"] = (jpeg(), "image/jpeg")
    user = "U" + "7" * 32
    with TestClient(app) as client:
        for item in (
            [event("message", user, message={"type": "image", "id": "7001"})],
            [text_event("写真なしで", user)],
        ):
            body = webhook_body(item)
            response = client.post(
                "/line/webhook", content=body, headers=signed_headers(CHANNEL_SECRET, body)
            )
            assert response.status_code == 200
        assert fake_line.wait_for(lambda f: len(f.delivered) == 2, 15)
        pseudonym = app.state.services.chat.resident_key("line", user)
    assert fake_line.delivered_texts() == [MSG_UNAVAILABLE, "answer: 写真なしで"]
    assert [c["text"] for c in rasa.calls] == ["写真なしで"]  # no photo id ever reached the form
    [alert] = alerts(app)
    assert alert.kind == "photo_store_unavailable" and alert.details["channel"] == "line"
    said = submit(rt, pseudonym, "line", "skip")  # the form goes on and the report is saved without the photo
    assert "受付番号: R-" in said
    with app.state.services.factory() as session:
        assert session.scalars(select(Report.channel)).all() == ["line"]
