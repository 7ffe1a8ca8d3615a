"""The webhook through the real gateway app: signature first, durable deduplicated inbox, worker replies."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.services import services_of
from bot.storage.line_inbox import LineInboxRow, LineUser
from bot.storage.models import Feedback, Message
from channels.line import messages as lm
from channels.line.fake import FakeLine, event, signed_headers, text_event, webhook_body
from tests.support.line import CHANNEL_SECRET, StubRasa, line_settings, make_line_app


def _count(app, model, *where) -> int:  # type: ignore[no-untyped-def]
    with services_of(app).factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _wait_done(app, n: int, timeout_s: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _count(app, LineInboxRow, LineInboxRow.status.in_(("done", "failed"))) >= n:
            return True
        time.sleep(0.02)
    return False


def _post(client: TestClient, events: list[dict], secret: str = CHANNEL_SECRET):  # type: ignore[no-untyped-def]
    body = webhook_body(events)
    return client.post("/line/webhook", content=body, headers=signed_headers(secret, body))


@pytest.fixture
def rasa() -> StubRasa:
    return StubRasa()


@pytest.fixture
def client(tmp_path: Path, fake_line: FakeLine, rasa: StubRasa):  # type: ignore[no-untyped-def]
    app = make_line_app(line_settings(tmp_path, fake_line), rasa)
    with TestClient(app) as client:
        yield client


def test_url_verification_gets_200(client: TestClient) -> None:
    body = b'{"destination":"U0","events":[]}'
    response = client.post("/line/webhook", content=body, headers=signed_headers(CHANNEL_SECRET, body))
    assert response.status_code == 200


@pytest.mark.parametrize("signature", [None, "", "forged", "AAAA" * 11])
def test_missing_or_forged_signature_stores_nothing(
    client: TestClient, fake_line: FakeLine, rasa: StubRasa, signature: str | None
) -> None:
    body = webhook_body([text_event("こんにちは")])
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Line-Signature"] = signature
    assert client.post("/line/webhook", content=body, headers=headers).status_code == 401
    wrong = _post(client, [text_event("こんにちは")], secret="another-channel")
    assert wrong.status_code == 401
    assert _count(client.app, LineInboxRow) == 0 and _count(client.app, Message) == 0
    assert rasa.calls == [] and fake_line.calls == []


def test_signature_covers_exact_bytes(client: TestClient) -> None:
    body = webhook_body([text_event("こんにちは")])
    headers = signed_headers(CHANNEL_SECRET, body)
    tampered = body.replace("こんにちは".encode(), "さようなら".encode())
    assert client.post("/line/webhook", content=tampered, headers=headers).status_code == 401


def test_signed_garbage_is_400(client: TestClient) -> None:
    for body in (b"not json", b'{"events": "x"}', b"[]"):
        assert (
            client.post(
                "/line/webhook", content=body, headers=signed_headers(CHANNEL_SECRET, body)
            ).status_code
            == 400
        )


def test_oversized_body_refused_before_reading(client: TestClient) -> None:
    body = webhook_body([text_event("あ" * 400_000)])
    assert len(body) > 1_000_000
    response = client.post("/line/webhook", content=body, headers=signed_headers(CHANNEL_SECRET, body))
    assert response.status_code == 413
    assert _count(client.app, LineInboxRow) == 0


def test_unconfigured_secret_is_503(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = make_line_app(
        line_settings(tmp_path, None, LINE_CHANNEL_SECRET="", LINE_CHANNEL_ACCESS_TOKEN=""), StubRasa()
    )
    with TestClient(app) as client:
        body = webhook_body([])
        response = client.post("/line/webhook", content=body, headers=signed_headers("x", body))
    assert response.status_code == 503
    assert "LINE_CHANNEL_SECRET" in caplog.text


def test_text_message_is_answered_by_reply(client: TestClient, fake_line: FakeLine, rasa: StubRasa) -> None:
    user = "U" + "a" * 32
    assert _post(client, [text_event("住民票を取りたい", user)]).status_code == 200
    assert fake_line.wait_for(lambda f: len(f.delivered) == 1)
    assert fake_line.delivered[0]["via"] == "reply"
    reply = fake_line.delivered[0]["messages"][0]
    assert reply["text"] == "answer: 住民票を取りたい"
    assert reply["quickReply"]["items"][0]["action"] == {
        "type": "message",
        "label": "ごみの日",
        "text": "ごみの日",
    }
    call = rasa.calls[0]
    assert call["metadata"]["channel"] == "line" and call["sender"].startswith("line-")
    assert user not in json.dumps(rasa.calls)  # Rasa only ever sees the pseudonym
    assert call["metadata"]["resident_key"] == call["sender"]
    app = client.app
    assert _wait_done(app, 1)
    assert _count(app, Message, Message.direction == "in") == 1
    with services_of(app).factory() as session:
        row = session.scalars(select(LineInboxRow)).one()
        assert row.status == "done" and row.payload is None  # raw event (LINE id, text) dropped when done
        assert session.scalars(select(LineUser)).one().user_id == user


def test_50_events_three_times_shuffled_exactly_once(
    tmp_path: Path, db_url: str, fake_line: FakeLine
) -> None:
    rasa = StubRasa()
    app = make_line_app(line_settings(tmp_path, fake_line, database_url=db_url), rasa)
    events = [text_event(f"質問{i}", f"U{i:032d}") for i in range(50)]
    deliveries = []
    for round_ in range(3):
        batch = [dict(e, deliveryContext={"isRedelivery": round_ > 0}) for e in events]
        random.Random(round_).shuffle(batch)
        deliveries += [batch[i : i + 7] for i in range(0, 50, 7)]
    random.Random(99).shuffle(deliveries)
    with TestClient(app) as client:
        for chunk in deliveries:
            assert _post(client, chunk).status_code == 200
        assert fake_line.wait_for(lambda f: len(f.delivered) >= 50, 30)
        assert _wait_done(app, 50)
        fake_line.wait_for(lambda f: False, 0.3)  # give any duplicate a chance to show up
        assert _count(app, LineInboxRow) == 50
        assert _count(app, LineInboxRow, LineInboxRow.status == "done") == 50
        assert _count(app, Message, Message.direction == "in") == 50
    assert len(fake_line.delivered) == 50
    assert sorted(fake_line.delivered_texts()) == sorted(f"answer: 質問{i}" for i in range(50))
    assert len(rasa.calls) == 50


def test_same_message_id_under_another_event_id_is_a_duplicate(
    client: TestClient, fake_line: FakeLine
) -> None:
    first = text_event("同じ", message_id="555")
    second = text_event("同じ", message_id="555")
    assert _post(client, [first, second]).status_code == 200
    assert fake_line.wait_for(lambda f: len(f.delivered) == 1)
    assert _count(client.app, LineInboxRow) == 1


def test_follow_greets_and_unfollow_stops_pushes(
    client: TestClient, fake_line: FakeLine, rasa: StubRasa
) -> None:
    user = "U" + "f" * 32
    _post(client, [event("follow", user, follow={"isUnblocked": False})])
    assert fake_line.wait_for(lambda f: len(f.delivered) == 1)
    texts = fake_line.delivered_texts()
    assert any("友だち追加" in t for t in texts) and any("個人情報" in t for t in texts)
    assert rasa.calls == []
    _post(client, [event("unfollow", user)])
    app = client.app
    assert fake_line.wait_for(lambda f: _count(app, LineUser, LineUser.followed.is_(False)) == 1)
    with services_of(app).factory() as session:
        row = session.scalars(select(LineUser)).one()
        assert row.unfollowed_at is not None and row.delete_after is not None
    assert len(fake_line.delivered) == 1


def test_sticker_gets_friendly_reply_without_rasa(
    client: TestClient, fake_line: FakeLine, rasa: StubRasa
) -> None:
    _post(
        client,
        [event("message", message={"type": "sticker", "id": "77", "packageId": "1", "stickerId": "1"})],
    )
    assert fake_line.wait_for(lambda f: len(f.delivered) == 1)
    assert fake_line.delivered_texts() == [lm.STICKER_REPLY] and rasa.calls == []


def test_location_passes_metadata(client: TestClient, fake_line: FakeLine, rasa: StubRasa) -> None:
    _post(
        client,
        [
            event(
                "message",
                message={
                    "type": "location",
                    "id": "88",
                    "latitude": 43.06,
                    "longitude": 141.35,
                    "address": "みどり野市中央1丁目",
                },
            )
        ],
    )
    assert fake_line.wait_for(lambda f: len(f.delivered) == 1)
    assert rasa.calls[0]["text"] == "みどり野市中央1丁目"
    assert rasa.calls[0]["metadata"]["location"] == {
        "lat": 43.06,
        "lon": 141.35,
        "address": "みどり野市中央1丁目",
    }


def test_image_is_downloaded_stored_and_passed_as_photo_id(
    client: TestClient, fake_line: FakeLine, rasa: StubRasa
) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "JPEG")
    fake_line.contents["9001"] = (buf.getvalue(), "image/jpeg")
    fake_line.inject("content", 500)  # first download attempt fails
    _post(
        client,
        [event("message", message={"type": "image", "id": "9001", "contentProvider": {"type": "line"}})],
    )
    assert fake_line.wait_for(lambda f: len(f.delivered) == 1)
    assert rasa.calls[0]["text"] == "[写真]"
    photo_ids = rasa.calls[0]["metadata"]["photo_ids"]
    assert len(photo_ids) == 1
    assert client.app.state.line_worker.answerer.photos.path_for(photo_ids[0]) is not None


def test_refused_image_gets_the_japanese_reason(
    client: TestClient, fake_line: FakeLine, rasa: StubRasa
) -> None:
    fake_line.contents["9002"] = (b"this is not an image", "image/jpeg")
    _post(client, [event("message", message={"type": "image", "id": "9002"})])
    assert fake_line.wait_for(lambda f: len(f.delivered) == 1)
    assert "写真" in fake_line.delivered_texts()[0] and rasa.calls == []


def test_faq_answer_feedback_postback_is_stored(client: TestClient, fake_line: FakeLine) -> None:
    _post(client, [text_event("faq 粗大ごみ")])
    assert fake_line.wait_for(lambda f: len(f.delivered) == 1)
    template = fake_line.delivered[0]["messages"][-1]
    assert template["type"] == "template"
    assert template["template"]["actions"][0]["uri"] == "https://city.example.jp/faq/1"
    no = template["template"]["actions"][2]
    _post(client, [event("postback", postback={"data": no["data"]})])
    assert fake_line.wait_for(lambda f: len(f.delivered) == 2)
    assert _wait_done(client.app, 2)
    with services_of(client.app).factory() as session:
        feedback = session.scalars(select(Feedback)).one()
    assert feedback.faq_id == "FAQ-001" and feedback.helpful is False and feedback.channel == "line"
    assert fake_line.delivered_texts()[-1] == lm.FEEDBACK_THANKS_NO


def test_stale_event_is_pushed_with_event_retry_key(client: TestClient, fake_line: FakeLine) -> None:
    from channels.line.client import retry_key

    old = text_event("遅れて届いた", timestamp_ms=1_000_000)  # token long expired
    _post(client, [old])
    assert fake_line.wait_for(lambda f: len(f.delivered) == 1)
    assert fake_line.calls_of("reply") == []
    assert fake_line.delivered[0]["retry_key"] == retry_key(old["webhookEventId"])


def test_line_ids_never_reach_the_logs(
    client: TestClient, fake_line: FakeLine, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    user = "U" + "9" * 32
    fake_line.inject("reply", 500)
    fake_line.inject("push", 500)
    _post(client, [text_event("ログ確認", user)])
    assert fake_line.wait_for(lambda f: len(f.delivered) == 1)
    assert user not in caplog.text
