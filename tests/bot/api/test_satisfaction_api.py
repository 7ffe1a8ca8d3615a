"""The widget's satisfaction check (bot/api/satisfaction.py): asked on the 10th conversation, never twice in a
week, a score recorded once per ask (with its ticket) and without the pseudonym."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.services import services_of
from bot.storage.db import transaction
from bot.storage.models import Message
from bot.storage.surveys import SatisfactionScore

SENDER = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


def services(client: TestClient) -> Any:
    return services_of(client.app)  # type: ignore[arg-type]


def converse(client: TestClient, sender: str, conversations: int, last_ago: timedelta) -> None:
    """`conversations` conversations of the web resident, an hour apart, the last `last_ago` ago."""
    key = services(client).chat.resident_key("web", sender)
    start = datetime.now(UTC).replace(tzinfo=None) - last_ago - timedelta(hours=conversations - 1)
    with transaction(services(client).factory) as session:
        for i in range(conversations):
            session.add(Message(channel="web", sender=key, direction="in", text="質問",
                                created_at=start + timedelta(hours=i)))  # fmt: skip


def due(client: TestClient, sender: str = SENDER) -> dict[str, Any]:
    response = client.post("/api/v1/satisfaction/due", json={"sender_id": sender})
    assert response.status_code == 200
    return response.json()


def scores(client: TestClient) -> list[tuple[str, int]]:
    with services(client).factory() as session:
        return [(r.channel, r.score) for r in session.scalars(select(SatisfactionScore))]


def test_the_tenth_conversation_is_asked_once_and_its_answer_recorded_once(client: TestClient) -> None:
    converse(client, SENDER, 9, timedelta(hours=2))
    assert due(client) == {"due": False, "question": None, "choices": [], "ticket": None}
    converse(client, SENDER, 1, timedelta(minutes=1))
    asked = due(client)
    assert asked["due"] is True and "5段階" in asked["question"]
    assert [c["score"] for c in asked["choices"]] == [1, 2, 3, 4, 5]
    assert asked["choices"][0]["label"] == "1 不満" and asked["choices"][4]["label"] == "5 満足"
    assert due(client)["due"] is False  # never twice (in 7 days)

    bad = client.post(
        "/api/v1/satisfaction", json={"sender_id": SENDER, "score": 6, "ticket": asked["ticket"]}
    )
    assert bad.status_code == 422
    forged = client.post("/api/v1/satisfaction", json={"sender_id": SENDER, "score": 5, "ticket": "0" * 40})
    assert forged.status_code == 409 and "受付は終わりました" in forged.json()["detail"]
    body = {"sender_id": SENDER, "score": 4, "ticket": asked["ticket"]}
    answered = client.post("/api/v1/satisfaction", json=body)
    assert answered.status_code == 200 and "ありがとうございます" in answered.json()["message"]
    assert client.post("/api/v1/satisfaction", json=body).status_code == 409  # a ticket counts once
    other = client.post("/api/v1/satisfaction", json={**body, "sender_id": OTHER})
    assert other.status_code == 409
    assert scores(client) == [("web", 4)]  # without the pseudonym
