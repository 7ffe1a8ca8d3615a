"""Webhook bodies as LINE sends them: reply tokens only where LINE gives one, group sources, signatures."""

from __future__ import annotations

from channels.line.events import from_dict
from channels.line.fake_webhook import event, group_source, signed_headers, text_event, webhook_body
from channels.line.signature import verify


def test_events_without_a_reply_token_get_none() -> None:
    assert "replyToken" in text_event("こんにちは")
    for kind in ("unfollow", "unsend", "leave", "memberLeft"):
        assert "replyToken" not in event(kind)
    standby = text_event("こんにちは", mode="standby")
    assert "replyToken" not in standby and from_dict(standby).standby


def test_group_sources_and_unsend() -> None:
    joined = from_dict(event("join", source=group_source("C" + "1" * 32)))
    assert (joined.source_type, joined.chat_id, joined.user_id) == ("group", "C" + "1" * 32, None)
    room = from_dict(text_event("やあ", source=group_source("R1", "U" + "2" * 32, kind="room")))
    assert (room.source_type, room.chat_id, room.user_id) == ("room", "R1", "U" + "2" * 32)
    unsent = from_dict(event("unsend", unsend={"messageId": "325708"}))
    assert unsent.unsent_message_id == "325708" and unsent.reply_token is None


def test_a_body_is_signed_over_its_bytes() -> None:
    body = webhook_body([text_event("x")])
    assert verify("secret", body, signed_headers("secret", body)["X-Line-Signature"])
