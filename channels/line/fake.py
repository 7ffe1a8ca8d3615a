"""A loopback stand-in for the LINE Messaging API (api.line.me and api-data.line.me on one port), for tests,
benchmarks and staging. Standard library only.

    with FakeLine() as line:                     # real HTTP server on 127.0.0.1:<free port>
        settings = ...(LINE_API_BASE_URL=line.base_url, LINE_DATA_API_BASE_URL=line.base_url)
        line.inject("push", 500, (429, {"Retry-After": "1"}))   # next push calls fail like that
        line.inject("reply", "hang")                            # next reply hangs `hang_s`, then proceeds
        line.inject("richmenu", "lost")                         # next one is done, but answered 504
        ...
        line.calls                                # every request, in order
        line.delivered                            # what reached residents (409 resends not counted)

    line = FakeLine(token).start(); …; line.snapshot(); line.refused; line.close()   # benchmarks, soak

It behaves like LINE where callers depend on it: a reply token works once (`expire_token` makes one stale),
a push retry key already accepted answers 409, message limits (5 per call, 5,000 UTF-16 units, 13 quick-reply
items, 20-char labels, 300-char postback data) answer 400, a wrong bearer token answers 401. `quota = n` sets a
monthly allowance: push number n+1 answers 429 "You have reached your monthly limit." (replies are free, as on
LINE) and the quota endpoints report it; `None` (the default) is unlimited, like the 地方公共団体プラン. Also the
loading animation (202), leaving groups and rooms (`left`), and rich menus (list, image once per menu).
Every delivery is also kept as a `Delivery` with its arrival time (`time.perf_counter()`), so a benchmark can
tell delivered, duplicated and how long processing took; `refused` counts the 4xx answers other than 409.
Webhook body builders (`text_event`, `event`, `webhook_body`, `signed_headers`): `fake_webhook.py`, also here.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from channels.line.fake_webhook import event, group_source, signed_headers, text_event, webhook_body

__all__ = ["Call", "Delivery", "FakeLine", "message_problems"]
__all__ += ["event", "group_source", "signed_headers", "text_event", "webhook_body"]  # webhook builders

Action = int | str | tuple[int, dict[str, str]]
Answer = tuple[int, Any, dict[str, str]]


@dataclass
class Call:
    # reply | push | content | loading | leave | quota | richmenu[_list|_content|_default] | unknown
    kind: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    @property
    def retry_key(self) -> str | None:
        return self.headers.get("x-line-retry-key")


@dataclass
class Delivery:
    via: str  # reply | push
    key: str  # the reply token, or the push's user id + ":" + retry key
    texts: list[str]
    at: float  # time.perf_counter() on arrival


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def message_problems(messages: Any) -> list[str]:
    """What LINE would refuse in a reply's or push's `messages` (empty: acceptable)."""
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return ["messages must be 1 to 5"]
    problems = []
    for m in messages:
        kind = m.get("type")
        if kind not in {"text", "template", "flex", "image", "sticker", "location"}:
            problems.append(f"unknown message type {kind}")
        if kind == "text" and not 0 < _utf16(m.get("text", "")) <= 5000:
            problems.append("text must be 1 to 5000 characters")
        if kind == "template":
            tpl = m.get("template", {})
            if len(tpl.get("text", "")) > 160 or not 1 <= len(tpl.get("actions", [])) <= 4:
                problems.append("buttons template text/actions out of range")
            problems += _action_problems(tpl.get("actions", []))
        items = (m.get("quickReply") or {}).get("items")
        if items is not None:
            if not 1 <= len(items) <= 13:
                problems.append("quickReply items must be 1 to 13")
            problems += _action_problems([i.get("action", {}) for i in items])
    return problems


def _action_problems(actions: list[dict[str, Any]]) -> list[str]:
    problems = []
    for a in actions:
        if len(a.get("label", "")) > 20:
            problems.append("label over 20 characters")
        if a.get("type") == "postback" and len(a.get("data", "")) > 300:
            problems.append("postback data over 300 characters")
        if a.get("type") == "message" and not 0 < len(a.get("text", "")) <= 300:
            problems.append("message action text must be 1 to 300 characters")
        if a.get("type") == "uri" and not str(a.get("uri", "")).startswith(("http://", "https://", "tel:")):
            problems.append("bad uri")
    return problems


_EXACT = {
    "/v2/bot/message/reply": "reply",
    "/v2/bot/message/push": "push",
    "/v2/bot/richmenu": "richmenu",
    "/v2/bot/richmenu/list": "richmenu_list",
    "/v2/bot/chat/loading/start": "loading",
    "/v2/bot/message/quota": "quota",
    "/v2/bot/message/quota/consumption": "quota",
}
MONTHLY_LIMIT = "You have reached your monthly limit."


def _kind(path: str) -> str:
    if path in _EXACT:
        return _EXACT[path]
    if path.startswith("/v2/bot/message/") and path.endswith("/content"):
        return "content"
    if path.startswith("/v2/bot/richmenu/") and path.endswith("/content"):
        return "richmenu_content"
    if path.startswith("/v2/bot/user/all/richmenu/"):
        return "richmenu_default"
    if path.startswith(("/v2/bot/group/", "/v2/bot/room/")) and path.endswith("/leave"):
        return "leave"
    return "unknown"


def _sent(messages: list[Any]) -> Answer:
    return 200, {"sentMessages": [{"id": str(uuid.uuid4())} for _ in messages]}, {}


class FakeLine:
    def __init__(self, access_token: str = "test-access-token", hang_s: float = 1.5) -> None:
        self.access_token = access_token
        self.hang_s = hang_s
        self.calls: list[Call] = []
        self.delivered: list[dict[str, Any]] = []  # {"via", "to"|"reply_token", "messages", "retry_key"}
        self.deliveries: list[Delivery] = []  # the same, with arrival times (benchmarks)
        self.refused = 0  # 4xx answers other than 409 (bad token, used reply token, limits…)
        self.contents: dict[str, tuple[bytes, str]] = {}
        self.rich_menus: dict[str, dict[str, Any]] = {}
        self.default_rich_menu: str | None = None
        self.quota: int | None = None  # the month's push allowance; None: unlimited
        self.pushes_counted = 0  # pushes LINE counted against it this month
        self.left: list[str] = []  # groups and rooms the bot left
        self._script: dict[str, deque[Action]] = defaultdict(deque)
        self._used_tokens: set[str] = set()
        self._stale_tokens: set[str] = set()
        self._accepted_keys: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # Control ---------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first (use it as a context manager, or start())"
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)
        return f"http://{host}:{port}"

    def inject(self, kind: str, *actions: Action) -> None:
        """Queue behaviours for the next calls of `kind`: a status (500, 409…), (status, headers), "hang" or
        "lost" (done, then answered 504)."""
        with self._lock:
            self._script[kind].extend(actions)

    def expire_token(self, token: str) -> None:
        self._stale_tokens.add(token)

    def calls_of(self, kind: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.kind == kind]

    def delivered_texts(self) -> list[str]:
        with self._lock:
            return [
                m.get("text", "") for d in self.delivered for m in d["messages"] if m.get("type") == "text"
            ]

    def snapshot(self) -> list[Delivery]:
        """The deliveries so far (a copy, safe to read while the server runs)."""
        with self._lock:
            return list(self.deliveries)

    def wait_for(self, predicate: Callable[[FakeLine], bool], timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.02)
        return predicate(self)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.delivered.clear()
            self.deliveries.clear()
            self.refused = 0
            self._script.clear()

    def start(self) -> FakeLine:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake._serve(self, body)

            do_GET = do_POST = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-line", daemon=True
        ).start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._server = None

    def __enter__(self) -> FakeLine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Serving ---------------------------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        arrived = time.perf_counter()
        path = handler.path.split("?", 1)[0]
        kind = _kind(path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        call = Call(kind=kind, method=handler.command, path=path, headers=headers, body=body)
        with self._lock:
            self.calls.append(call)
            action = self._script[kind].popleft() if self._script[kind] else None
        if action == "hang":
            time.sleep(self.hang_s)
            action = None
        if action == "lost":  # LINE did it, but the answer never arrives (a gateway in between fails)
            self._respond(kind, path, call, arrived)
            action = 504
        if isinstance(action, int):
            status, payload, extra = action, {"message": f"injected {action}"}, {}
        elif isinstance(action, tuple):
            status, payload, extra = action[0], {"message": f"injected {action[0]}"}, action[1]
        else:
            status, payload, extra = self._respond(kind, path, call, arrived)
        call.status = status
        if 400 <= status < 500 and status != 409:
            with self._lock:
                self.refused += 1
        if isinstance(payload, bytes):
            data, ctype = payload, extra.pop("Content-Type", "application/octet-stream")
        else:
            data, ctype = json.dumps(payload).encode(), "application/json"
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", ctype)
            handler.send_header("Content-Length", str(len(data)))
            handler.send_header("x-line-request-id", str(uuid.uuid4()))
            for name, value in extra.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass

    def _deliver(self, via: str, key: str, messages: list[Any], arrived: float, **what: Any) -> None:
        self.delivered.append({"via": via, **what, "messages": messages})
        texts = [str(m.get("text", "")) for m in messages if isinstance(m, dict)]
        self.deliveries.append(Delivery(via, key, texts, arrived))

    def _respond(self, kind: str, path: str, call: Call, arrived: float) -> Answer:
        if call.headers.get("authorization") != f"Bearer {self.access_token}":
            return 401, {"message": "Authentication failed"}, {}
        body = call.json if call.body else None
        fields: dict[str, Any] = body if isinstance(body, dict) else {}
        with self._lock:
            if kind == "reply":
                return self._reply(fields, arrived)
            if kind == "push":
                return self._push(fields, call.retry_key, arrived)
            if kind == "content":
                message_id = path.split("/")[4]
                if message_id not in self.contents:
                    return 404, {"message": "Not found"}, {}
                data, ctype = self.contents[message_id]
                return 200, data, {"Content-Type": ctype}
            if kind == "loading":
                seconds = fields.get("loadingSeconds", 20)
                chat_id = fields.get("chatId")
                if not isinstance(chat_id, str) or not chat_id.startswith("U"):  # 1:1 chats only
                    return 400, {"message": "The value for the 'chatId' field is invalid"}, {}
                if not isinstance(seconds, int) or seconds % 5 or not 5 <= seconds <= 60:
                    return 400, {"message": "The value for the 'loadingSeconds' field is invalid"}, {}
                return 202, {}, {}
            if kind == "leave":
                self.left.append(path.split("/")[4])
                return 200, {}, {}
            if kind == "quota":
                if path.endswith("/consumption"):
                    return 200, {"totalUsage": self.pushes_counted}, {}
                limited = {"type": "limited", "value": self.quota}
                return 200, (limited if self.quota is not None else {"type": "none"}), {}
            if kind.startswith("richmenu"):
                return self._rich_menu(kind, path, call, body)
        return 404, {"message": "Not found"}, {}

    def _reply(self, fields: dict[str, Any], arrived: float) -> Answer:
        token = fields.get("replyToken")
        problems = message_problems(fields.get("messages"))
        if problems:
            return 400, {"message": "The request body has errors", "details": problems}, {}
        if not token or token in self._used_tokens or token in self._stale_tokens:
            return 400, {"message": "Invalid reply token"}, {}
        self._used_tokens.add(token)
        messages = fields["messages"]
        self._deliver("reply", token, messages, arrived, reply_token=token, retry_key=None)
        return _sent(messages)

    def _push(self, fields: dict[str, Any], key: str | None, arrived: float) -> Answer:
        if key is not None:
            try:
                uuid.UUID(key)
            except ValueError:
                return 400, {"message": "The value for the 'X-Line-Retry-Key' header is invalid"}, {}
            if key in self._accepted_keys:
                return (
                    409,
                    {"message": "The retry key is already accepted"},
                    {"x-line-accepted-request-id": "accepted"},
                )
        problems = message_problems(fields.get("messages"))
        if problems:
            return 400, {"message": "The request body has errors", "details": problems}, {}
        if self.quota is not None and self.pushes_counted >= self.quota:
            return 429, {"message": MONTHLY_LIMIT}, {}
        if key is not None:
            self._accepted_keys.add(key)
        self.pushes_counted += 1
        to, messages = fields.get("to"), fields["messages"]
        unique = key or str(uuid.uuid4())
        self._deliver("push", f"{to}:{unique}", messages, arrived, to=to, retry_key=key)
        return _sent(messages)

    def _rich_menu(self, kind: str, path: str, call: Call, body: Any) -> Answer:
        if kind == "richmenu":
            rich_menu_id = f"richmenu-{uuid.uuid4().hex}"
            self.rich_menus[rich_menu_id] = {"definition": body, "image": None}
            return 200, {"richMenuId": rich_menu_id}, {}
        if kind == "richmenu_list":
            menus = [{"richMenuId": i, **(m["definition"] or {})} for i, m in self.rich_menus.items()]
            return 200, {"richmenus": menus}, {}
        rich_menu_id = path.split("/")[4] if kind == "richmenu_content" else path.rsplit("/", 1)[-1]
        menu = self.rich_menus.get(rich_menu_id)
        if menu is None:
            return 404, {"message": "Not found"}, {}
        if kind == "richmenu_default":
            self.default_rich_menu = rich_menu_id
            return 200, {}, {}
        if call.method == "GET":
            if menu["image"] is None:
                return 404, {"message": "Not found"}, {}
            ctype, data = menu["image"]
            return 200, data, {"Content-Type": ctype or "image/png"}
        if menu["image"] is not None:
            return 400, {"message": "An image has already been uploaded to the richmenu"}, {}
        menu["image"] = (call.headers.get("content-type"), call.body)
        return 200, {}, {}
