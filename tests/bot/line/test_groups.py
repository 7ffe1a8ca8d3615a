"""Groups and rooms (issue 17, item 14): the bot says it answers one to one, by reply only, and leaves."""

from __future__ import annotations

import time

import anyio

from bot.line.groups import leave_group
from channels.line import messages as lm
from channels.line.client import LineClient
from channels.line.events import from_dict
from channels.line.fake import FakeLine, event, group_source, text_event
from tests.support.line import ACCESS_TOKEN, FAST

GROUP = "C" + "4" * 32


def _leave(fake: FakeLine, raw: dict) -> bool:
    async def go() -> bool:
        async with LineClient(ACCESS_TOKEN, fake.base_url, fake.base_url, FAST) as client:
            return await leave_group(client, from_dict(raw))

    return anyio.run(go)


def test_join_is_answered_then_left(fake_line: FakeLine) -> None:
    assert _leave(fake_line, event("join", source=group_source(GROUP))) is True
    assert fake_line.delivered_texts() == [lm.GROUP_NOTICE] and fake_line.left == [GROUP]


def test_an_old_event_is_never_pushed_to_the_member(fake_line: FakeLine) -> None:
    old = int((time.time() - 120) * 1000)
    raw = text_event(
        "こんにちは", "U" + "5" * 32, source=group_source(GROUP, "U" + "5" * 32), timestamp_ms=old
    )
    assert _leave(fake_line, raw) is True
    assert fake_line.calls_of("reply") == [] and fake_line.calls_of("push") == []
    assert fake_line.left == [GROUP]


def test_nothing_to_do_when_the_bot_was_removed_and_leaving_twice_is_harmless(fake_line: FakeLine) -> None:
    assert _leave(fake_line, event("leave", source=group_source(GROUP))) is False
    assert fake_line.calls == []
    fake_line.inject("leave", 404)  # already gone
    fake_line.expire_token("used")
    assert _leave(fake_line, event("join", source=group_source(GROUP), reply_token="used")) is False
