"""One handler per LINE event kind: the dispatch table, residents only (groups are left), standby mode, the
flood limit, the loading animation, what each kind answers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bot.chat import ChatService
from bot.line.handlers import HANDLERS, Answerer, Messages, kind_of
from bot.messages import Messages as Wording
from bot.storage import line_inbox as inbox
from bot.storage.db import transaction
from bot.storage.line_inbox import LineUser
from channels.line import messages as lm
from channels.line.client import LineClient
from channels.line.events import from_dict
from channels.line.fake import FakeLine, event, group_source, text_event
from tests.support.line import ACCESS_TOKEN, FAST, StubRasa

SECRET = "test-secret-key-not-for-production"
USER = "U" + "5" * 32


def _answerer(factory, rasa: StubRasa, rate_per_minute: int = 30, fake: FakeLine | None = None) -> Answerer:  # type: ignore[no-untyped-def]
    chat = ChatService(factory, rasa, SECRET)  # type: ignore[arg-type]
    answerer = Answerer(factory, chat, None, None, contact="0120-000-000", rate_per_minute=rate_per_minute)  # type: ignore[arg-type]
    answerer.fake = fake or FakeLine(ACCESS_TOKEN)  # type: ignore[attr-defined]
    return answerer


def _answer(factory, answerer: Answerer, raw: dict[str, Any]) -> tuple[Messages, list[Messages]]:  # type: ignore[no-untyped-def]
    """Answer one event; returns the answer and everything saved (the worker's `save`, minus the claim)."""
    saved: list[Messages] = []

    async def save(messages: Messages, also: Callable[[Session], Any] | None = None) -> Messages:
        with transaction(factory) as session:
            if also is not None:
                also(session)
        saved.append(messages)
        return messages

    async def db(fn: Callable[[Session], Any]) -> Any:
        with transaction(factory) as session:
            return fn(session)

    async def go() -> Messages:
        fake: FakeLine = answerer.fake  # type: ignore[attr-defined]
        base = fake.base_url if fake._server else "http://127.0.0.1:9"
        async with LineClient(ACCESS_TOKEN, base, base, FAST) as line_client:
            answerer.line_client = line_client
            return await answerer.answer(from_dict(raw), 1, save, db)

    return asyncio.run(go()), saved


def _texts(messages: Messages) -> list[str]:
    return [m["text"] for m in messages if m.get("type") == "text"]


def test_each_event_kind_has_one_handler() -> None:
    assert kind_of(from_dict(text_event("x"))) == "message/text"
    assert kind_of(from_dict(event("follow"))) == "follow"
    assert set(HANDLERS) == {
        "follow",
        "unfollow",
        "postback",
        "message/sticker",
        "message/text",
        "message/location",
        "message/image",
        "unsend",
    }


def test_text_is_asked_of_rasa_under_the_resident_key(factory) -> None:  # type: ignore[no-untyped-def]
    rasa = StubRasa()
    answerer = _answerer(factory, rasa)
    answer, saved = _answer(factory, answerer, text_event("ごみの日", USER))
    assert saved == [answer] and _texts(answer) == ["answer: ごみの日"]
    [call] = rasa.calls
    key = answerer.chat.resident_key("line", USER)
    assert call["sender"] == key and call["metadata"]["resident_key"] == key
    assert USER not in str(call)
    with factory() as session:
        assert inbox.push_target(session, key) == USER  # remembered for pushes


def test_a_group_or_room_is_told_and_left(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    """Issue 17, item 14: everything from groups and rooms was dropped silently, `join` included."""
    rasa = StubRasa()
    answerer = _answerer(factory, rasa, fake=fake_line)
    group = "C" + "1" * 32
    joined = event("join", source=group_source(group), reply_token="tok-join")
    assert _answer(factory, answerer, joined) == ([], [])
    talk = text_event("みなさん", USER, source=group_source("R9", USER, kind="room"), reply_token="tok-room")
    assert _answer(factory, answerer, talk) == ([], [])
    assert _answer(factory, answerer, event("leave", source=group_source(group))) == ([], [])
    assert fake_line.left == [group, "R9"]
    assert fake_line.delivered_texts() == [lm.GROUP_NOTICE, lm.GROUP_NOTICE]
    assert [d["via"] for d in fake_line.delivered] == ["reply", "reply"]  # never a push
    assert rasa.calls == []


def test_standby_events_get_no_answer_only_bookkeeping(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    """Issue 17, item 10: with a module channel attached, LINE marks events standby; the bot answered them."""
    rasa = StubRasa()
    answerer = _answerer(factory, rasa, fake=fake_line)
    assert _answer(factory, answerer, text_event("ごみの日", USER, mode="standby")) == ([], [])
    assert _answer(factory, answerer, event("follow", USER, mode="standby")) == ([], [])
    key = answerer.chat.resident_key("line", USER)
    with factory() as session:
        assert inbox.push_target(session, key) == USER  # the friendship is still recorded
    assert _answer(factory, answerer, event("unfollow", USER, mode="standby")) == ([], [])
    with factory() as session:
        assert inbox.push_target(session, key) is None
    assert rasa.calls == [] and fake_line.calls == []


def test_the_loading_animation_shows_while_rasa_answers(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    """Issue 17, item 15: LINE's loading animation while an answer is prepared."""
    rasa = StubRasa()
    _answer(factory, _answerer(factory, rasa, fake=fake_line), text_event("ごみの日", USER))
    [loading] = fake_line.calls_of("loading")
    assert loading.json["chatId"] == USER and loading.status == 202 and rasa.calls


def test_without_photo_storage_the_resident_is_not_asked_to_send_again(factory) -> None:  # type: ignore[no-untyped-def]
    """Issue 17, item 15: "send it again" can never work when no photo storage is configured."""
    answer, _ = _answer(
        factory, _answerer(factory, StubRasa()), event("message", USER, message={"type": "image", "id": "9"})
    )
    assert _texts(answer) == [lm.PHOTOS_NOT_ACCEPTED] and lm.PHOTO_FAILED_REPLY not in _texts(answer)


def test_follow_greets_and_unfollow_schedules_forgetting(factory) -> None:  # type: ignore[no-untyped-def]
    answerer = _answerer(factory, StubRasa())
    answer, _ = _answer(factory, answerer, event("follow", USER))
    assert _texts(answer) == lm.follow_greeting("0120-000-000")
    assert _answer(factory, answerer, event("unfollow", USER)) == ([], [])
    with factory() as session:
        user = session.get(LineUser, answerer.chat.resident_key("line", USER))
        assert user is not None and not user.followed and user.delete_after is not None


def test_sticker_unsupported_and_unknown_kinds(factory) -> None:  # type: ignore[no-untyped-def]
    rasa = StubRasa()
    answerer = _answerer(factory, rasa)
    sticker, _ = _answer(factory, answerer, event("message", USER, message={"type": "sticker", "id": "1"}))
    video, _ = _answer(factory, answerer, event("message", USER, message={"type": "video", "id": "2"}))
    beacon = _answer(factory, answerer, event("beacon", USER, beacon={"hwid": "d41d8cd98f", "type": "enter"}))
    assert _texts(sticker) == [lm.STICKER_REPLY] and _texts(video) == [lm.UNSUPPORTED_REPLY]
    assert beacon == ([], []) and rasa.calls == []


def test_a_flood_is_told_to_wait_once_without_asking_rasa(factory) -> None:  # type: ignore[no-untyped-def]
    rasa = StubRasa()
    answerer = _answerer(factory, rasa, rate_per_minute=1)
    first, _ = _answer(factory, answerer, text_event("一つ目", USER))
    second, _ = _answer(factory, answerer, text_event("二つ目", USER))
    third = _answer(factory, answerer, text_event("三つ目", USER))
    assert _texts(first) == ["answer: 一つ目"]
    assert len(_texts(second)) == 1 and "answer" not in _texts(second)[0]
    assert third == ([], [])
    assert [c["text"] for c in rasa.calls] == ["一つ目"]


def test_feedback_postback_is_thanked_without_rasa(factory) -> None:  # type: ignore[no-untyped-def]
    rasa = StubRasa()
    answer, _ = _answer(
        factory, _answerer(factory, rasa), event("postback", USER, postback={"data": "a=fb&v=1&faq=FAQ-001"})
    )
    assert _texts(answer) == [lm.FEEDBACK_THANKS_YES] and rasa.calls == []


def test_a_city_rewords_the_gateways_own_texts(factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "messages.yml"
    path.write_text('sticker_reply: "スタンプをどうも。"\nfollow_greeting: ["ようこそ"]\n', encoding="utf-8")
    answerer = _answerer(factory, StubRasa())
    answerer.wording = Wording.load(path)
    sticker, _ = _answer(factory, answerer, event("message", USER, message={"type": "sticker", "id": "1"}))
    follow, _ = _answer(factory, answerer, event("follow", USER))
    assert _texts(sticker) == ["スタンプをどうも。"]
    assert _texts(follow) == [
        "ようこそ\nお急ぎのご用件や個別のご相談は 0120-000-000 へお問い合わせください。"
    ]
