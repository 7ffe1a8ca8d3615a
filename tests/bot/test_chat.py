"""bot.chat: one chat turn (store, ask Rasa, merge META, store the answer) with a scripted Rasa client."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import select

from bot.chat import MAX_TEXT, ChatInputError, ChatService, clean_text, merge_rasa_messages
from bot.privacy import resident_key
from bot.storage.models import Message

SECRET = "test-secret-key-not-for-production"


class ScriptedRasa:
    """Stands in for `bot.rasa.RasaClient`: records each turn and answers with `body` (or raises `error`)."""

    def __init__(self, body: dict[str, Any] | None = None, error: Exception | None = None) -> None:
        self.body = body or {"messages": [{"text": "こんにちは"}], "intent": {"name": "greet"}}
        self.error = error
        self.turns: list[tuple[str, str, dict[str, Any]]] = []

    async def send(self, resident_key: str, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
        self.turns.append((resident_key, text, metadata))
        if self.error is not None:
            raise self.error
        return self.body


def test_clean_text_strips_and_refuses_empty_or_long_text() -> None:
    assert clean_text("  住民票\x00 ") == "住民票"
    with pytest.raises(ChatInputError):
        clean_text(" \x00 ")
    with pytest.raises(ChatInputError):
        clean_text("あ" * (MAX_TEXT + 1))


def test_merge_reads_meta_and_turns_buttons_into_quick_replies() -> None:
    result = merge_rasa_messages(
        [
            {"text": "どれに近いですか？", "buttons": [{"title": "住民票", "payload": "住民票の取り方"}]},
            {"buttons": [{"title": "戸籍"}]},
            {
                "custom": {
                    "madoguchi": {
                        "candidates": ["faq-1", "faq-2"],
                        "kind": "choose",
                        "link": {"label": "市のページ", "url": "https://example.jp"},
                    }
                }
            },
        ],
        "ask_city_service",
    )
    assert [r.text for r in result.replies] == ["どれに近いですか？"]
    assert [(q.label, q.text) for q in result.replies[0].quick_replies] == [
        ("住民票", "住民票の取り方"),
        ("戸籍", "戸籍"),
    ]
    assert result.candidates == ["faq-1", "faq-2"]
    assert result.kind == "choose"
    assert result.link == {"label": "市のページ", "url": "https://example.jp"}
    assert result.intent == "ask_city_service" and result.faq_id is None and not result.fallback


def test_merge_takes_every_meta_of_the_turn() -> None:
    result = merge_rasa_messages(
        [
            {"text": "受け付けました"},
            {"custom": {"madoguchi": {"report_id": "R-2027-000001", "kind": "report"}}},
            {"custom": {"madoguchi": {"faq_id": "faq-9", "fallback": True}}},
        ],
        None,
    )
    assert (result.report_id, result.kind, result.faq_id, result.fallback) == (
        "R-2027-000001",
        "report",
        "faq-9",
        True,
    )


def _stored(factory: Any) -> list[tuple[str, str, str]]:
    with factory() as session:
        return [
            (m.sender, m.direction, m.text) for m in session.scalars(select(Message).order_by(Message.id))
        ]


def test_a_turn_is_stored_and_sent_under_the_resident_key(factory: Any) -> None:
    rasa = ScriptedRasa()
    chat = ChatService(factory, rasa, SECRET)  # type: ignore[arg-type]
    result = anyio.run(chat.handle, "web", "session-raw-id", "電話 090-1234-5678 です", {"photo_ids": ["p1"]})
    key = resident_key(SECRET, "web", "session-raw-id")
    assert chat.resident_key("web", "session-raw-id") == result.resident_key == key
    assert rasa.turns == [(key, "電話 090-1234-5678 です", {"channel": "web", "photo_ids": ["p1"]})]
    assert _stored(factory) == [(key, "in", "電話 [電話番号] です"), (key, "out", "こんにちは")]
    assert result.intent == "greet"


@pytest.mark.parametrize("error", [httpx.ConnectError("refused"), ValueError("no message")])
def test_rasa_unavailable_gives_the_apology_and_is_stored(factory: Any, error: Exception) -> None:
    chat = ChatService(factory, ScriptedRasa(error=error), SECRET, contact="0120-000-000")  # type: ignore[arg-type]
    result = anyio.run(chat.handle, "line", "U-raw", "こんにちは")
    assert result.kind == "unavailable" and result.fallback
    assert "0120-000-000" in result.replies[0].text
    stored = _stored(factory)
    assert [d for _, d, _ in stored] == ["in", "out"]
    assert all(sender == resident_key(SECRET, "line", "U-raw") for sender, _, _ in stored)


def test_rasa_answering_nothing_counts_as_unavailable(factory: Any) -> None:
    chat = ChatService(factory, ScriptedRasa(body={"messages": [], "intent": {}}), SECRET)  # type: ignore[arg-type]
    assert anyio.run(chat.handle, "web", "s", "こんにちは").kind == "unavailable"
