"""The widget's own endpoints and CORS (bot/api/widget.py); the helpers' rate-limit bucket."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.services import services_of
from bot.storage.models import Feedback

CITY_ORIGIN = "https://www.city.example.jp"
SENDER = "0123456789abcdef0123456789abcdef"


def test_widget_config_names_the_city_and_the_counter(client: TestClient) -> None:
    body = client.get("/api/v1/widget-config").json()
    settings = services_of(client.app).settings  # type: ignore[arg-type]
    assert body["city"] == "みどり野市"
    assert body["contact"] == {
        "counter": settings.contact_counter,
        "phone": settings.contact_phone,
        "hours": settings.contact_hours,
    }


def test_history_returns_this_senders_masked_messages_only(client: TestClient) -> None:
    client.post("/api/v1/chat", json={"sender_id": SENDER, "text": "住民票 電話は090-1234-5678です"})
    client.post("/api/v1/chat", json={"sender_id": "f" * 32, "text": "ほかの人の質問"})
    messages = client.get("/api/v1/chat/history", params={"sender_id": SENDER}).json()["messages"]
    assert [m["role"] for m in messages] == ["user", "bot"]
    assert "090-1234-5678" not in messages[0]["text"] and "[電話番号]" in messages[0]["text"]
    assert messages[1]["faq_id"] == "juminhyo-001"
    assert messages[1]["at"].endswith("+00:00")
    assert all("ほかの人" not in m["text"] for m in messages)


def test_history_refuses_short_guessable_ids(client: TestClient) -> None:
    assert client.get("/api/v1/chat/history", params={"sender_id": "abc"}).status_code == 422
    assert client.get("/api/v1/chat/history", params={"sender_id": "a" * 20}).json() == {"messages": []}


def test_feedback_is_stored_under_the_pseudonym(client: TestClient) -> None:
    response = client.post(
        "/api/v1/feedback", json={"sender_id": SENDER, "faq_id": "juminhyo-001", "helpful": False}
    )
    assert response.status_code == 204
    services = services_of(client.app)  # type: ignore[arg-type]
    with services.factory() as session:
        rows = session.scalars(select(Feedback)).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.channel, row.faq_id, row.helpful) == ("web", "juminhyo-001", False)
    assert row.sender == services.chat.resident_key("web", SENDER)
    assert SENDER not in row.sender


def test_feedback_rejects_unknown_fields(client: TestClient) -> None:
    body = {"sender_id": SENDER, "faq_id": "x", "helpful": True, "comment": "x"}
    assert client.post("/api/v1/feedback", json=body).status_code == 422


def test_furigana_segments_rebuild_the_text(client: TestClient) -> None:
    text = "住民票を<b>申し込む</b>"
    response = client.post("/api/v1/furigana", json={"text": text})
    segments = response.json()["segments"]
    assert "".join(s["text"] for s in segments) == text
    assert {"text": "住民票", "reading": "じゅうみんひょう"} in segments
    assert client.post("/api/v1/furigana", json={"text": "あ" * 2001}).status_code == 422


def test_furigana_takes_the_text_in_a_body_and_is_never_cached(client: TestClient) -> None:
    """Issue 17, item 9: a resident's words stay out of URLs (logs, history) and out of shared caches."""
    response = client.post("/api/v1/furigana", json={"text": "市役所の電話番号"})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert client.get("/api/v1/furigana", params={"text": "市役所"}).status_code == 405
    assert client.post("/api/v1/furigana", json={"text": "市役所", "sender_id": "x"}).status_code == 422


def test_widget_script_is_public_and_has_its_css_inlined(client: TestClient) -> None:
    response = client.get("/widget.js", headers={"Origin": "https://anywhere.example"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "__MADOGUCHI_WIDGET_CSS__" not in response.text
    assert ".mg-launcher" in response.text
    again = client.get("/widget.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_chat_page_embeds_the_widget_in_page_mode(client: TestClient) -> None:
    response = client.get("/chat")
    assert response.status_code == 200
    assert 'lang="ja"' in response.text
    assert re.search(r'<script src="/widget.js" data-mode="page"', response.text)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_cors_allows_only_configured_origins(client: TestClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = client.options("/api/v1/chat", headers={"Origin": CITY_ORIGIN, **preflight})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == CITY_ORIGIN
    other = client.options("/api/v1/chat", headers={"Origin": "https://other.example.jp", **preflight})
    assert other.status_code == 200  # trailing slash in the setting is tolerated
    evil = client.options("/api/v1/chat", headers={"Origin": "https://evil.example", **preflight})
    assert evil.status_code == 400 and "access-control-allow-origin" not in evil.headers
    got = client.get("/api/v1/widget-config", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in got.headers


def test_helper_endpoints_have_their_own_bucket(client: TestClient) -> None:
    for _ in range(25):  # more than the chat's 20 per IP, fewer than the helpers' 50
        assert client.post("/api/v1/furigana", json={"text": "市役所"}).status_code == 200
    assert client.post("/api/v1/chat", json={"sender_id": SENDER, "text": "こんにちは"}).status_code == 200
    codes = {client.get("/api/v1/widget-config").status_code for _ in range(30)}
    assert codes == {200}  # config is cacheable and not limited
    limited = [client.post("/api/v1/furigana", json={"text": "市役所"}).status_code for _ in range(30)]
    assert limited[-1] == 429
