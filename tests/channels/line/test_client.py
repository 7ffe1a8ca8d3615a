"""The retrying sender against the loopback fake LINE API (real HTTP, real client code)."""

from __future__ import annotations

import socket
import time

import anyio
import pytest

from channels.line import messages as lm
from channels.line.client import LineApiError, LineClient, LineUnavailable, RetryPolicy, retry_key
from channels.line.fake import FakeLine
from tests.support.line import ACCESS_TOKEN, FAST

USER = "U" + "1" * 32
MSG = lm.text_messages(["こんにちは"])


def _sender(fake: FakeLine, policy: RetryPolicy = FAST, token: str = ACCESS_TOKEN) -> LineClient:
    return LineClient(token, fake.base_url, fake.base_url, policy)


def run(coro_fn):  # type: ignore[no-untyped-def]
    return anyio.run(coro_fn)


def test_push_500_then_429_retry_after_delivers_once_with_one_key(fake_line: FakeLine) -> None:
    fake_line.inject("push", 500, (429, {"Retry-After": "1"}))

    async def go() -> float:
        async with _sender(fake_line) as sender:
            start = time.monotonic()
            await sender.push(USER, MSG, "event-abc")
            return time.monotonic() - start

    elapsed = run(go)
    calls = fake_line.calls_of("push")
    assert [c.status for c in calls] == [500, 429, 200]
    assert len({c.retry_key for c in calls}) == 1 and calls[0].retry_key == retry_key("event-abc")
    assert len(fake_line.delivered) == 1
    assert elapsed >= 1.0  # Retry-After honoured


def test_hang_times_out_and_retries_once_delivered(fake_line: FakeLine) -> None:
    fake_line.inject("push", "hang")  # the slow call is accepted by LINE after the client gave up

    async def go() -> None:
        async with _sender(fake_line) as sender:
            await sender.push(USER, MSG, "event-hang")

    run(go)
    assert len(fake_line.calls_of("push")) >= 2
    assert fake_line.wait_for(lambda f: all(c.status for c in f.calls_of("push")), 5)
    assert len(fake_line.delivered) == 1  # the late original and the retry share a key: LINE keeps one


def test_409_counts_as_delivered(fake_line: FakeLine) -> None:
    async def go() -> tuple[bool, bool]:
        async with _sender(fake_line) as sender:
            first = await sender.push(USER, MSG, "event-409")
            again = await sender.push(USER, MSG, "event-409")  # e.g. a resend after a crash
            return first.already_accepted, again.already_accepted

    assert run(go) == (False, True)
    assert [c.status for c in fake_line.calls_of("push")] == [200, 409]
    assert len(fake_line.delivered) == 1


def test_injected_409_is_success(fake_line: FakeLine) -> None:
    fake_line.inject("push", 409)

    async def go() -> None:
        async with _sender(fake_line) as sender:
            assert (await sender.push(USER, MSG, "x")).already_accepted

    run(go)
    assert len(fake_line.calls_of("push")) == 1


def test_fresh_token_replies(fake_line: FakeLine) -> None:
    async def go() -> str:
        async with _sender(fake_line) as sender:
            return (
                await sender.deliver(
                    user_id=USER, messages=MSG, retry_key_seed="e1", reply_token="tok1", token_age_s=3
                )
            ).via

    assert run(go) == "reply"
    assert [d["via"] for d in fake_line.delivered] == ["reply"]


def test_stale_token_pushes_without_trying_it(fake_line: FakeLine) -> None:
    async def go() -> str:
        async with _sender(fake_line) as sender:
            return (
                await sender.deliver(
                    user_id=USER, messages=MSG, retry_key_seed="e2", reply_token="tok2", token_age_s=51
                )
            ).via

    assert run(go) == "push"
    assert fake_line.calls_of("reply") == []
    assert fake_line.delivered[0]["retry_key"] == retry_key("e2")


def test_rejected_token_falls_back_to_push(fake_line: FakeLine) -> None:
    fake_line.expire_token("tok3")

    async def go() -> str:
        async with _sender(fake_line) as sender:
            return (
                await sender.deliver(
                    user_id=USER, messages=MSG, retry_key_seed="e3", reply_token="tok3", token_age_s=1
                )
            ).via

    assert run(go) == "push"
    assert [d["via"] for d in fake_line.delivered] == ["push"]


def _deliver_once(fake_line: FakeLine, seed: str, token: str, age_s: float = 1) -> str:
    async def go() -> str:
        async with _sender(fake_line) as sender:
            result = await sender.deliver(
                user_id=USER, messages=MSG, retry_key_seed=seed, reply_token=token, token_age_s=age_s
            )
            return result.via

    return run(go)


def test_reply_5xx_is_settled_by_one_more_reply_not_a_push(fake_line: FakeLine) -> None:
    fake_line.inject("reply", 500)  # the token was not used: the second try lands
    assert _deliver_once(fake_line, "e4", "tok4") == "reply"
    assert len(fake_line.calls_of("reply")) == 2 and fake_line.calls_of("push") == []
    assert len(fake_line.delivered) == 1


def test_reply_that_landed_late_is_not_repeated_by_a_push(fake_line: FakeLine) -> None:
    """The first reply hangs past the timeout but reaches the resident; the probe sees the token used."""
    fake_line.hang_s = 0.8
    fake_line.inject("reply", "hang", "hang")  # both tries hang; the first one to finish uses the token
    assert _deliver_once(fake_line, "e4b", "tok4b") == "push"  # the second try also timed out: push
    fake_line.wait_for(
        lambda f: len(f.calls_of("reply")) == 2 and all(c.status for c in f.calls_of("reply")), 5
    )
    replies = [d for d in fake_line.delivered if d["via"] == "reply"]
    assert len(replies) == 1  # LINE took the token once


def test_invalid_token_on_the_second_try_means_the_first_landed(fake_line: FakeLine) -> None:
    """LINE used the token on the first try but answered 500: the probe's 400 proves it; no push."""
    assert _deliver_once(fake_line, "e4c-before", "tok4c") == "reply"  # the token is now used at LINE
    fake_line.inject("reply", 500)
    assert _deliver_once(fake_line, "e4c", "tok4c") == "reply"
    assert fake_line.calls_of("push") == []
    assert len(fake_line.delivered) == 1


def test_old_token_is_not_probed(fake_line: FakeLine) -> None:
    fake_line.inject("reply", 500)
    assert _deliver_once(fake_line, "e4d", "tok4d", age_s=45) == "push"  # too old to read a 400 as "used"
    assert len(fake_line.calls_of("reply")) == 1


def test_more_than_five_messages_reply_then_push_rest(fake_line: FakeLine) -> None:
    many = lm.text_messages([f"{i}" for i in range(5)]) + lm.text_messages(["6", "7"])

    async def go() -> str:
        async with _sender(fake_line) as sender:
            return (
                await sender.deliver(
                    user_id=USER, messages=many, retry_key_seed="e5", reply_token="tok5", token_age_s=1
                )
            ).via

    assert run(go) == "reply+push"
    assert [len(d["messages"]) for d in fake_line.delivered] == [5, 2]
    assert fake_line.delivered[1]["retry_key"] == retry_key("e5", 1)


def test_permanent_4xx_is_not_retried(fake_line: FakeLine) -> None:
    fake_line.inject("push", 400)

    async def go() -> None:
        async with _sender(fake_line) as sender:
            await sender.push(USER, MSG, "e6")

    with pytest.raises(LineApiError) as info:
        run(go)
    assert info.value.status == 400 and len(fake_line.calls_of("push")) == 1


def test_wrong_token_is_401(fake_line: FakeLine) -> None:
    async def go() -> None:
        async with _sender(fake_line, token="wrong") as sender:
            await sender.push(USER, MSG, "e7")

    with pytest.raises(LineApiError) as info:
        run(go)
    assert info.value.status == 401


def test_connection_refused_is_retried_then_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    async def go() -> None:
        url = f"http://127.0.0.1:{port}"
        async with LineClient(ACCESS_TOKEN, url, url, FAST, sleep=fake_sleep) as sender:
            await sender.push(USER, MSG, "e8")

    with pytest.raises(LineUnavailable):
        run(go)
    assert len(slept) == FAST.attempts - 1
    assert slept == sorted(slept) or max(slept) <= FAST.max_delay_s  # backoff, bounded


def test_content_download_retries(fake_line: FakeLine) -> None:
    fake_line.contents["m1"] = (b"\x89PNG data", "image/png")
    fake_line.inject("content", 503, "hang")

    async def go() -> tuple[bytes, str]:
        async with _sender(fake_line) as sender:
            return await sender.get_content("m1")

    assert run(go) == (b"\x89PNG data", "image/png")
    assert len(fake_line.calls_of("content")) == 3


def test_retry_keys_are_deterministic_uuids() -> None:
    import uuid

    assert retry_key("evt") == retry_key("evt") != retry_key("evt2")
    uuid.UUID(retry_key("evt"))
    assert retry_key("evt", 1) != retry_key("evt")
    known = str(uuid.uuid4())
    assert retry_key(known) == known
