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


def test_monthly_allowance_loading_and_leaving_in_lines_shapes() -> None:
    with FakeLine(TOKEN) as fake:
        fake.quota = 1
        push = {"to": "U1", "messages": [{"type": "text", "text": "お知らせ"}]}
        reply = {"replyToken": "t9", "messages": [{"type": "text", "text": "返信"}]}
        assert _post(fake, "/v2/bot/message/push", push) == 200
        auth = {"Authorization": f"Bearer {TOKEN}"}
        refused = httpx.post(fake.base_url + "/v2/bot/message/push", json=push, headers=auth)
        assert refused.status_code == 429  # the allowance is used up …
        assert refused.json() == {"message": "You have reached your monthly limit."}
        assert _post(fake, "/v2/bot/message/reply", reply) == 200  # … replies are free
        assert httpx.get(fake.base_url + "/v2/bot/message/quota", headers=auth).json() == {
            "type": "limited",
            "value": 1,
        }
        used = httpx.get(fake.base_url + "/v2/bot/message/quota/consumption", headers=auth).json()
        assert used == {"totalUsage": 1}
        assert _post(fake, "/v2/bot/chat/loading/start", {"chatId": "U1", "loadingSeconds": 5}) == 202
        assert _post(fake, "/v2/bot/chat/loading/start", {"chatId": "U1", "loadingSeconds": 7}) == 400
        assert _post(fake, "/v2/bot/group/C1/leave", {}) == 200 and fake.left == ["C1"]


def test_rich_menus_are_listed_and_take_one_image() -> None:
    with FakeLine(TOKEN) as fake:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        created = httpx.post(fake.base_url + "/v2/bot/richmenu", json={"name": "m"}, headers=auth).json()
        menu_id = created["richMenuId"]
        listed = httpx.get(fake.base_url + "/v2/bot/richmenu/list", headers=auth).json()
        assert listed == {"richmenus": [{"richMenuId": menu_id, "name": "m"}]}
        image = fake.base_url + f"/v2/bot/richmenu/{menu_id}/content"
        assert httpx.get(image, headers=auth).status_code == 404
        png = {**auth, "Content-Type": "image/png"}
        assert httpx.post(image, content=b"png", headers=png).status_code == 200
        assert httpx.post(image, content=b"png2", headers=png).status_code == 400  # once per menu
        assert httpx.get(image, headers=auth).content == b"png"
        fake.inject("richmenu", "lost")
        assert (
            httpx.post(fake.base_url + "/v2/bot/richmenu", json={"name": "n"}, headers=auth).status_code
            == 504
        )
        assert len(fake.rich_menus) == 2  # it was created all the same
