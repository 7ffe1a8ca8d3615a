"""`bot.line.push.push_to_resident`: resident_key -> LINE id, unfollowed residents skipped, resends deduplicated."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import anyio

from bot.line.push import push_to_resident
from bot.line.worker import LineOptions, LineWorker
from bot.storage import conversations
from bot.storage import line_inbox as inbox
from bot.storage.db import transaction, utcnow
from bot.storage.line_inbox import LineUser
from bot.storage.models import Message
from channels.line.fake import FakeLine
from tests.support.line import FAST, line_settings

USER = "U" + "c" * 32
RESIDENT_KEY = "line-" + "c" * 32


def _follow(factory, followed: bool = True) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        inbox.remember_user(session, RESIDENT_KEY, USER, follow=True)
        if not followed:
            inbox.mark_unfollowed(session, RESIDENT_KEY, USER, utcnow() + timedelta(days=30))


def test_push_reaches_followed_resident_once(factory, fake_line: FakeLine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _follow(factory)
    settings = line_settings(tmp_path, fake_line)
    fake_line.inject("push", 500, "hang")

    async def go() -> list[str]:
        first = await push_to_resident(
            factory, settings, RESIDENT_KEY, ["ご報告の対応が完了しました。"], "report-7-done", policy=FAST
        )
        again = await push_to_resident(
            factory, settings, RESIDENT_KEY, ["ご報告の対応が完了しました。"], "report-7-done", policy=FAST
        )
        return [first, again]

    assert anyio.run(go) == ["sent", "sent"]
    assert fake_line.wait_for(lambda f: all(c.status for c in f.calls_of("push")), 5)
    assert len(fake_line.delivered) == 1
    assert fake_line.delivered[0]["to"] == USER
    assert len({c.retry_key for c in fake_line.calls_of("push")}) == 1


def test_unfollowed_or_unknown_residents_are_skipped(factory, fake_line: FakeLine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _follow(factory, followed=False)
    settings = line_settings(tmp_path, fake_line)

    async def go() -> list[str]:
        return [
            await push_to_resident(factory, settings, RESIDENT_KEY, ["x"], "k1"),
            await push_to_resident(factory, settings, "line-unknown", ["x"], "k2"),
            await push_to_resident(factory, settings, "web-abc", ["x"], "k3"),
        ]

    assert anyio.run(go) == ["skipped"] * 3
    assert fake_line.calls == []


def test_refollow_reactivates_pushes(factory) -> None:  # type: ignore[no-untyped-def]
    _follow(factory, followed=False)
    with transaction(factory) as session:
        inbox.remember_user(session, RESIDENT_KEY, USER, follow=True)
        assert inbox.push_target(session, RESIDENT_KEY) == USER
        assert session.get(LineUser, RESIDENT_KEY).delete_after is None


def test_retention_deletes_unfollowed_residents(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        inbox.remember_user(session, RESIDENT_KEY, USER, follow=True)
        inbox.mark_unfollowed(session, RESIDENT_KEY, USER, utcnow() - timedelta(seconds=1))
        inbox.remember_user(session, "line-keep", "U" + "d" * 32, follow=True)
        conversations.add_message(session, channel="line", sender=RESIDENT_KEY, direction="in", text="消える")
        conversations.add_message(session, channel="line", sender="line-keep", direction="in", text="残る")
    worker = LineWorker(factory, None, None, None, LineOptions(policy=FAST))  # type: ignore[arg-type]
    worker.housekeeping()
    with factory() as session:
        assert session.get(LineUser, RESIDENT_KEY) is None
        assert session.get(LineUser, "line-keep") is not None
        assert [m.sender for m in session.query(Message).all()] == ["line-keep"]


def test_a_used_up_allowance_defers_the_push_and_keeps_it(
    factory, fake_line: FakeLine, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Issue 17, item 11: status notices wait (same retry key later) instead of hammering LINE."""
    _follow(factory)
    settings = line_settings(tmp_path, fake_line)
    fake_line.quota = 0

    async def push(key: str) -> str:
        return await push_to_resident(
            factory, settings, RESIDENT_KEY, ["対応が完了しました。"], key, policy=FAST
        )

    assert anyio.run(push, "report-1-2") == "deferred"
    assert anyio.run(push, "report-1-3") == "deferred"
    assert [c.status for c in fake_line.calls_of("push")] == [429]  # the second did not call LINE
