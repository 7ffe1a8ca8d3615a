"""`POST /api/v1/chat` (bot/api/chat.py): its rate limits per sender and per address, and body validation."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

SENDER = "0123456789abcdef0123456789abcdef"


def test_chat_is_rate_limited_per_sender_with_a_japanese_429(
    client: TestClient, rasa_sent: list[dict[str, Any]]
) -> None:
    for _ in range(5):  # web_settings: 5 per minute
        assert (
            client.post("/api/v1/chat", json={"sender_id": SENDER, "text": "こんにちは"}).status_code == 200
        )
    limited = client.post("/api/v1/chat", json={"sender_id": SENDER, "text": "こんにちは"})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "お試しください" in limited.json()["detail"]
    assert len(rasa_sent) == 5
    other = client.post("/api/v1/chat", json={"sender_id": "another-sender", "text": "こんにちは"})
    assert other.status_code == 200


def test_chat_is_rate_limited_per_ip(client: TestClient) -> None:
    codes = [
        client.post("/api/v1/chat", json={"sender_id": f"s{i}", "text": "こんにちは"}).status_code
        for i in range(21)
    ]
    assert codes[:20] == [200] * 20  # 4 x 5 per minute for one address
    assert codes[20] == 429


def test_invalid_chat_body_is_still_a_422(client: TestClient) -> None:
    assert (
        client.post(
            "/api/v1/chat", content=b"not json", headers={"Content-Type": "application/json"}
        ).status_code
        == 422
    )
