"""The web widget's browser tests' world: a fake Rasa on loopback that answers from a script, a fake city page on
another origin that embeds the widget, and the helpers that drive the widget (fixtures: tests/browser/conftest.py).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TEST_PAGE = REPO / "tests" / "browser" / "widget_test_page.html"
CHROMIUM = "/usr/bin/chromium"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
FAQ_LINK = "https://www.city.midorino.example/kurashi/juminhyo/"


# --- a fake Rasa on loopback -------------------------------------------------------------------------


def canned(text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    if metadata.get("photo_ids"):
        return [{"text": "写真を受け付けました。場所を教えてください。"}]
    if metadata.get("location"):
        return [{"text": "場所を受け付けました。内容を教えてください。"}]
    if "住民票" in text:
        return [
            {"text": "住民票の写しは市民課の窓口か、コンビニ交付でお取りいただけます。"},
            {
                "custom": {
                    "madoguchi": {
                        "faq_id": "juminhyo-001",
                        "kind": "faq",
                        "link": {"label": "住民票の写しの請求", "url": FAQ_LINK},
                    }
                }
            },
        ]
    if "燃えるごみ" in text:
        return [{"text": "燃えるごみは月曜日と木曜日の朝8時30分までに出してください。"}]
    if "ごみ" in text:
        return [
            {
                "text": "どのごみについてお知りになりたいですか？",
                "buttons": [
                    {"title": "燃えるごみ", "payload": "燃えるごみの日"},
                    {"title": "粗大ごみ", "payload": "粗大ごみの出し方"},
                ],
            },
            {"custom": {"madoguchi": {"kind": "choose", "candidates": ["g1", "g2"]}}},
        ]
    if "スクリプト" in text:
        return [
            {"text": f"回答の中に {XSS} が含まれています。"},
            {
                "custom": {
                    "madoguchi": {
                        "faq_id": "x",
                        "kind": "faq",
                        "link": {"label": "危ないリンク", "url": "javascript:alert(3)"},
                    }
                }
            },
        ]
    if "破損" in text:
        return [
            {
                "text": "道路の破損のご報告ですね。写真があれば「写真を送る」から送ってください。",
                "buttons": [{"title": "写真なしで続ける", "payload": "写真なし"}],
            }
        ]
    return [
        {"text": "申し訳ありません。よくわかりませんでした。"},
        {"custom": {"madoguchi": {"fallback": True, "kind": "unknown"}}},
    ]


@dataclass
class FakeRasa:
    port: int
    received: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/":
                    self._json(200, {"version": "fake"})
                else:
                    self._json(404, {})

            def do_POST(self) -> None:  # noqa: N802
                if self.path != "/webhooks/madoguchi/webhook":
                    self._json(404, {})
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.received.append(body)
                metadata = body.get("metadata") or {}
                self._json(
                    200,
                    {
                        "messages": canned(body.get("message", ""), metadata),
                        "intent": {"name": "nlu_fallback", "confidence": 0.5},
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


class CityPage:
    """The fake city website: another origin that embeds the script tag."""

    def __init__(self, port: int, gateway: str) -> None:
        html = TEST_PAGE.read_text(encoding="utf-8").replace("__GATEWAY__", gateway)
        data = html.encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Stack:
    gateway: str
    city_url: str
    rasa: FakeRasa
    app: Any
    uploads: list[dict[str, Any]]


def add_upload_stub_if_missing(app: Any, uploads: list[dict[str, Any]]) -> None:
    """Until the real `POST /api/v1/uploads` exists, a stub with its contract ({photo_id, gps})."""
    from fastapi import Request

    if any(getattr(r, "path", "") == "/api/v1/uploads" for r in app.routes):
        return

    async def upload(request: Request) -> dict[str, Any]:
        form = await request.form()
        photo = form["file"]
        uploads.append(
            {
                "filename": photo.filename,
                "type": photo.content_type,  # type: ignore[union-attr]
                "size": len(await photo.read()),
            }
        )  # type: ignore[union-attr]
        return {"photo_id": f"p-stub-{len(uploads)}", "gps": None}

    app.add_api_route("/api/v1/uploads", upload, methods=["POST"])


# --- helpers -------------------------------------------------------------------------------------------


def shadow_focus(page: Any) -> str:
    """The class of the element focused inside the widget's shadow root ('' when focus is elsewhere)."""
    return page.evaluate("""() => {
        const host = document.getElementById('madoguchi-widget');
        const el = host && document.activeElement === host ? host.shadowRoot.activeElement : null;
        return el ? el.className : '';
    }""")


def open_widget(page: Any) -> None:
    page.locator(".mg-launcher").click()
    page.locator(".mg-panel").wait_for(state="visible")
    page.locator(".mg-bot").first.wait_for()


def ask(page: Any, text: str) -> Any:
    bots = page.locator(".mg-bot").count()
    page.locator(".mg-input").fill(text)
    page.locator(".mg-input").press("Enter")
    page.locator(".mg-bot").nth(bots).wait_for()
    return page.locator(".mg-bot").last


def count_sent(stack: Stack) -> int:
    return len(stack.rasa.received)
