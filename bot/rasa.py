"""The gateway's client of the Rasa servers: one POST per chat turn to the `madoguchi` REST channel.

The other end of this contract is `bot/nlu/channel.py` (`MadoguchiInput`, run inside Rasa), which accepts the
resident key, the text and the turn's metadata, and answers with the bot's messages and the intent.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx


class RasaClient:
    """Talks to the Rasa servers' `madoguchi` channel on loopback.

    With several instances a conversation sticks to one (by resident-key hash) and fails over to the next when
    that one does not answer; the shared Redis lock store keeps a conversation's turns in order either way.
    """

    def __init__(
        self,
        base_urls: list[str] | str,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,  # tests pass an `httpx.MockTransport`
    ) -> None:
        self._urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=2.0),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
            transport=transport,
        )

    def _order(self, resident_key: str) -> list[str]:
        start = int(hashlib.sha1(resident_key.encode()).hexdigest()[:8], 16) % len(self._urls)
        return self._urls[start:] + self._urls[:start]

    async def send(self, resident_key: str, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
        """One turn; Rasa's REST shape calls the resident_key `sender` (it becomes `tracker.sender_id`)."""
        payload = {"sender": resident_key, "message": text, "metadata": metadata}
        urls = self._order(resident_key)
        for i, url in enumerate(urls):
            try:
                response = await self._client.post(f"{url}/webhooks/madoguchi/webhook", json=payload)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if i == len(urls) - 1:
                    raise
        response.raise_for_status()
        body = response.json()
        if isinstance(body, list):  # plain REST channel shape
            return {"messages": body, "intent": {}}
        return body

    async def healthy(self) -> bool:
        """True when at least one Rasa instance answers."""
        for url in self._urls:
            try:
                if (await self._client.get(f"{url}/", timeout=2.0)).status_code == 200:
                    return True
            except httpx.HTTPError:
                continue
        return False

    async def aclose(self) -> None:
        await self._client.aclose()
