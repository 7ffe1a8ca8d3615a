"""A small loopback stand-in for the LINE Messaging API, for benchmarks and the soak run.

Only what the gateway's sender calls while answering text: `POST /v2/bot/message/reply` (a reply token works
once) and `POST /v2/bot/message/push` (an `X-Line-Retry-Key` already accepted answers 409). Every delivery is
recorded with its arrival time, so a benchmark can tell delivered, duplicated and how long processing took.
(The tests' fake, tests/support/fake_line.py, adds fault injection and message-limit checks.)
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Delivery:
    via: str  # reply | push
    key: str  # the reply token, or the push's user id + retry key
    texts: list[str]
    at: float  # time.perf_counter() on arrival


class FakeLineServer:
    def __init__(self, access_token: str) -> None:
        self.access_token = access_token
        self.deliveries: list[Delivery] = []
        self.refused = 0  # 4xx other than 409 (bad token, used reply token…)
        self._used_tokens: set[str] = set()
        self._accepted_keys: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeLineServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload = fake._handle(self.path, dict(self.headers.items()), body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def snapshot(self) -> list[Delivery]:
        with self._lock:
            return list(self.deliveries)

    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        headers = {k.lower(): v for k, v in headers.items()}
        if headers.get("authorization") != f"Bearer {self.access_token}":
            return self._refuse(401, "Authentication failed")
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return self._refuse(400, "bad json")
        texts = [str(m.get("text", "")) for m in data.get("messages", []) if isinstance(m, dict)]
        now = time.perf_counter()
        with self._lock:
            if path == "/v2/bot/message/reply":
                token = str(data.get("replyToken", ""))
                if not token or token in self._used_tokens:
                    self.refused += 1
                    return 400, {"message": "Invalid reply token"}
                self._used_tokens.add(token)
                self.deliveries.append(Delivery("reply", token, texts, now))
            elif path == "/v2/bot/message/push":
                key = headers.get("x-line-retry-key") or str(uuid.uuid4())
                if key in self._accepted_keys:
                    return 409, {"message": "The retry key is already accepted"}
                self._accepted_keys.add(key)
                self.deliveries.append(Delivery("push", f"{data.get('to')}:{key}", texts, now))
            else:
                self.refused += 1
                return 404, {"message": "Not found"}
        return 200, {"sentMessages": [{"id": uuid.uuid4().hex} for _ in texts]}

    def _refuse(self, status: int, message: str) -> tuple[int, dict]:
        with self._lock:
            self.refused += 1
        return status, {"message": message}
