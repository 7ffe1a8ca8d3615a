"""The client against LINE's limits: a 429 for the month's allowance is not a rate limit, a refused answer is
not pushed again, and the small calls (loading animation, leaving a group, the quota) in LINE's shapes."""

from __future__ import annotations

import anyio
import pytest

from channels.line import messages as lm
from channels.line.client import LineApiError, LineClient, LineQuotaExhausted
from channels.line.fake import FakeLine
from tests.support.line import ACCESS_TOKEN, FAST

USER = "U" + "2" * 32
MSG = lm.text_messages(["お知らせ"])


def _client(fake: FakeLine) -> LineClient:
    return LineClient(ACCESS_TOKEN, fake.base_url, fake.base_url, FAST)


def test_monthly_limit_429_is_not_retried_but_a_rate_limit_429_is(fake_line: FakeLine) -> None:
    """Issue 17, item 11: every 429 was treated as a rate limit (five tries against a used-up allowance)."""
    fake_line.quota = 0

    async def push(seed: str) -> None:
        async with _client(fake_line) as client:
            await client.push(USER, MSG, seed)

    with pytest.raises(LineQuotaExhausted):
        anyio.run(push, "q1")
    assert [c.status for c in fake_line.calls_of("push")] == [429]  # asked once: retrying cannot help
    fake_line.quota = None
    fake_line.reset()
    fake_line.inject("push", (429, {"Retry-After": "0"}))  # "The API rate limit has been exceeded"
    anyio.run(push, "q2")
    assert [c.status for c in fake_line.calls_of("push")] == [429, 200]


def test_replies_are_free_when_the_allowance_is_used_up(fake_line: FakeLine) -> None:
    fake_line.quota = 0

    async def go() -> str:
        async with _client(fake_line) as client:
            result = await client.deliver(
                user_id=USER, messages=MSG, retry_key_seed="e1", reply_token="tok-free", token_age_s=1
            )
            return result.via

    assert anyio.run(go) == "reply" and fake_line.delivered_texts() == ["お知らせ"]


def test_an_answer_line_refuses_is_not_pushed_again(fake_line: FakeLine) -> None:
    """A 400 for the messages themselves: a push of the same messages would be refused too (item 12)."""
    bad = [{"type": "text", "text": ""}]

    async def go() -> None:
        async with _client(fake_line) as client:
            await client.deliver(
                user_id=USER, messages=bad, retry_key_seed="e2", reply_token="tok-bad", token_age_s=1
            )

    with pytest.raises(LineApiError) as info:
        anyio.run(go)
    assert info.value.status == 400 and fake_line.calls_of("push") == []


def test_loading_animation_leave_and_quota_in_lines_shapes(fake_line: FakeLine) -> None:
    fake_line.quota = 500

    async def go() -> tuple[bool, bool, tuple[int | None, int]]:
        async with _client(fake_line) as client:
            shown = await client.show_loading(USER, seconds=7)
            refused = await client.show_loading("C" + "3" * 32)  # a group: 1:1 chats only
            await client.leave("group", "C" + "3" * 32)
            with pytest.raises(ValueError):
                await client.leave("user", USER)
            await client.push(USER, MSG, "e3")
            return shown, refused, await client.message_quota()

    shown, refused, quota = anyio.run(go)
    assert shown is True and refused is False
    first = fake_line.calls_of("loading")[0].json
    assert first == {"chatId": USER, "loadingSeconds": 5}  # LINE takes multiples of 5
    assert fake_line.left == ["C" + "3" * 32]
    assert quota == (500, 1)
    fake_line.quota = None

    async def unlimited() -> tuple[int | None, int]:
        async with _client(fake_line) as client:
            return await client.message_quota()

    assert anyio.run(unlimited) == (None, 1)  # 地方公共団体プラン: no cap


def test_the_loading_animation_never_fails_a_turn() -> None:
    async def go() -> bool:
        async with LineClient(ACCESS_TOKEN, "http://127.0.0.1:9", "http://127.0.0.1:9", FAST) as client:
            return await client.show_loading(USER)

    assert anyio.run(go) is False
