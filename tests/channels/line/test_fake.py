"""The loopback fake LINE API behaves like LINE where callers depend on it, for tests and for benchmarks."""

from __future__ import annotations

import time
import uuid

import httpx

from channels.line.fake import FakeLine

TOKEN = "fake-test-token"


def _post(fake: FakeLine, path: str, body: dict, token: str = TOKEN, **headers: str) -> int:
    auth = {"Authorization": f"Bearer {token}", **headers}
    return httpx.post(fake.base_url + path, json=body, headers=auth, timeout=5).status_code


def test_reply_token_works_once_and_refusals_are_counted() -> None:
    fake = FakeLine(TOKEN).start()  # the benchmarks' way: start() … close()
    try:
        before = time.perf_counter()
        reply = {"replyToken": "t1", "messages": [{"type": "text", "text": "こんにちは"}]}
        assert _post(fake, "/v2/bot/message/reply", reply) == 200
        assert _post(fake, "/v2/bot/message/reply", reply) == 400  # used token
        assert _post(fake, "/v2/bot/message/reply", {**reply, "replyToken": "t2"}, token="wrong") == 401
        [delivery] = fake.snapshot()
        assert (delivery.via, delivery.key, delivery.texts) == ("reply", "t1", ["こんにちは"])
        assert before <= delivery.at <= time.perf_counter()
        assert fake.refused == 2 and fake.delivered_texts() == ["こんにちは"]
    finally:
        fake.close()


def test_push_retry_key_is_deduplicated_and_limits_refused() -> None:
    with FakeLine(TOKEN) as fake:
        key = str(uuid.uuid4())
        push = {"to": "U1", "messages": [{"type": "text", "text": "お知らせ"}]}
        assert _post(fake, "/v2/bot/message/push", push, **{"X-Line-Retry-Key": key}) == 200
        assert _post(fake, "/v2/bot/message/push", push, **{"X-Line-Retry-Key": key}) == 409
        six = {"to": "U1", "messages": [{"type": "text", "text": "x"}] * 6}
        assert _post(fake, "/v2/bot/message/push", six) == 400  # over 5 messages a call
        assert [d.key for d in fake.snapshot()] == [f"U1:{key}"]
        assert fake.refused == 1  # 409 is not a refusal: LINE already has it
        fake.inject("push", 503)
        assert _post(fake, "/v2/bot/message/push", push) == 503
        assert [c.status for c in fake.calls_of("push")] == [200, 409, 400, 503]
