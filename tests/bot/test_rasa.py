"""RasaClient: the gateway's end of the `madoguchi` REST channel, against an in-memory transport."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest

from bot.rasa import RasaClient

URLS = ["http://rasa-a", "http://rasa-b", "http://rasa-c"]


class FakeRasa:
    """Answers like `bot.nlu.channel.MadoguchiInput`; hosts in `down` refuse connections."""

    def __init__(self, down: set[str] | None = None, body: object = None) -> None:
        self.down = down or set()
        self.body = body
        self.seen: list[tuple[str, dict]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host in self.down:
            raise httpx.ConnectError("refused", request=request)
        if request.method == "GET":
            return httpx.Response(200, json={"status": "ok"})
        payload = json.loads(request.content)
        self.seen.append((host, payload))
        body = (
            self.body
            if self.body is not None
            else {"messages": [{"text": "はい"}], "intent": {"name": "greet"}}
        )
        return httpx.Response(200, json=body)


def send(client: RasaClient, key: str, text: str = "こんにちは", metadata: dict | None = None) -> dict:
    async def go() -> dict:
        try:
            return await client.send(key, text, metadata or {"channel": "web"})
        finally:
            await client.aclose()

    return anyio.run(go)


def test_a_turn_posts_the_resident_key_as_rasas_sender() -> None:
    fake = FakeRasa()
    body = send(
        RasaClient(URLS[0], transport=httpx.MockTransport(fake)), "web-abc", metadata={"channel": "web"}
    )
    assert body == {"messages": [{"text": "はい"}], "intent": {"name": "greet"}}
    assert fake.seen == [
        ("rasa-a", {"sender": "web-abc", "message": "こんにちは", "metadata": {"channel": "web"}})
    ]


def test_a_conversation_sticks_to_one_instance() -> None:
    fake = FakeRasa()
    hosts = set()
    for _ in range(3):
        send(RasaClient(URLS, transport=httpx.MockTransport(fake)), "line-same")
        hosts.add(fake.seen[-1][0])
    assert len(hosts) == 1


def test_a_down_instance_fails_over_to_the_next() -> None:
    first = FakeRasa()
    send(RasaClient(URLS, transport=httpx.MockTransport(first)), "line-x")
    sticky = first.seen[0][0]
    fake = FakeRasa(down={sticky})
    send(RasaClient(URLS, transport=httpx.MockTransport(fake)), "line-x")
    hosts = [url.removeprefix("http://") for url in URLS]
    assert [host for host, _ in fake.seen] == [hosts[(hosts.index(sticky) + 1) % len(hosts)]]


def test_all_instances_down_raises() -> None:
    fake = FakeRasa(down={"rasa-a", "rasa-b", "rasa-c"})
    with pytest.raises(httpx.ConnectError):
        send(RasaClient(URLS, transport=httpx.MockTransport(fake)), "web-1")


def test_the_plain_rest_shape_is_accepted() -> None:
    fake = FakeRasa(body=[{"text": "a"}])
    body = send(RasaClient(URLS[0], transport=httpx.MockTransport(fake)), "web-1")
    assert body == {"messages": [{"text": "a"}], "intent": {}}


def test_healthy_when_any_instance_answers() -> None:
    async def check(down: set[str]) -> bool:
        client = RasaClient(URLS, transport=httpx.MockTransport(FakeRasa(down=down)))
        try:
            return await client.healthy()
        finally:
            await client.aclose()

    assert anyio.run(check, {"rasa-a", "rasa-b"}) is True
    assert anyio.run(check, {"rasa-a", "rasa-b", "rasa-c"}) is False
