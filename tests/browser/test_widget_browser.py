"""The web widget in headless Chromium, embedded in a fake city page on another origin.

The gateway runs in-process (uvicorn in a thread) with Rasa replaced by a loopback fake that answers from a
script: an FAQ answer with META and a link, quick replies, an answer containing markup, report turns.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.run.launcher import free_port
from bot.settings import Settings

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
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
        html = (HERE / "widget_test_page.html").read_text(encoding="utf-8").replace("__GATEWAY__", gateway)
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


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (make setup)")
        pytest.skip(f"{CHROMIUM} is not installed (make setup)")
    import uvicorn

    from bot.app import create_app
    from bot.settings import load_settings

    rasa = FakeRasa(free_port())
    rasa.start()
    gw_port, city_port = free_port(), free_port()
    settings: Settings = load_settings(
        data_dir=tmp_path_factory.mktemp("widget") / "var",
        embedder="hashing",
        env="test",
        secret_key="test-secret-key-not-for-production",
        rasa_port=rasa.port,
        actions_port=9,
        cors_origins=f"http://127.0.0.1:{city_port}",
        chat_rate_per_minute=300,
    )
    app = create_app(settings)
    uploads: list[dict[str, Any]] = []
    add_upload_stub_if_missing(app, uploads)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=gw_port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "gateway did not start"
        time.sleep(0.05)
    gateway = f"http://127.0.0.1:{gw_port}"
    city = CityPage(city_port, gateway)
    yield Stack(gateway=gateway, city_url=city.url, rasa=rasa, app=app, uploads=uploads)
    city.stop()
    server.should_exit = True
    thread.join(10)
    rasa.stop()


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Any, stack: Stack) -> Iterator[Any]:
    ctx = browser.new_context(
        locale="ja-JP",
        viewport={"width": 1280, "height": 900},
        geolocation={"latitude": 43.062096, "longitude": 141.354376},
        permissions=["geolocation"],
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any, stack: Stack) -> Any:
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    page.goto(stack.city_url)
    page.locator(".mg-launcher").wait_for(state="visible")
    return page


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


# --- tests -----------------------------------------------------------------------------------------------


def test_ask_a_question_and_see_the_answer_with_link_and_feedback(page: Any, stack: Stack) -> None:
    open_widget(page)
    assert "mg-input" in shadow_focus(page)
    answer = ask(page, "住民票がほしい")
    assert "市民課" in answer.locator(".mg-text").inner_text()
    link = answer.locator(".mg-link a")
    assert link.get_attribute("href") == FAQ_LINK
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert page.locator(".mg-user .mg-text").last.inner_text() == "住民票がほしい"
    assert stack.rasa.received[-1]["metadata"]["channel"] == "web"

    answer.get_by_role("button", name="役に立った", exact=True).click()
    page.locator(".mg-thanks").wait_for()
    from sqlalchemy import select

    from bot.storage.models import Feedback

    with stack.app.state.services.factory() as session:
        rows = session.scalars(select(Feedback).where(Feedback.faq_id == "juminhyo-001")).all()
    assert rows and rows[-1].helpful is True and rows[-1].sender.startswith("web-")
    assert page.errors == []


def test_ime_composition_enter_does_not_send(page: Any, stack: Stack) -> None:
    open_widget(page)
    before = count_sent(stack)
    page.locator(".mg-input").focus()
    page.evaluate("""() => {
        const input = document.getElementById('madoguchi-widget').shadowRoot.querySelector('.mg-input');
        input.value = 'じゅうみんひょう';
        input.dispatchEvent(new CompositionEvent('compositionstart', {bubbles: true}));
        input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', isComposing: true,
                                                         bubbles: true, cancelable: true}));
        input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', keyCode: 229,
                                                         bubbles: true, cancelable: true}));
        input.value = '住民票';
        input.dispatchEvent(new CompositionEvent('compositionend', {bubbles: true, data: '住民票'}));
        // Safari order: the confirming Enter's keydown arrives right after compositionend.
        input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter',
                                                         bubbles: true, cancelable: true}));
    }""")
    page.wait_for_timeout(300)
    assert page.locator(".mg-user").count() == 0
    assert count_sent(stack) == before
    assert page.locator(".mg-input").input_value() == "住民票"

    page.locator(".mg-input").press("Shift+Enter")
    page.keyboard.type("の写し")
    assert page.locator(".mg-input").input_value() == "住民票\nの写し"
    assert page.locator(".mg-user").count() == 0

    page.locator(".mg-input").press("Enter")
    page.locator(".mg-user").first.wait_for()
    assert page.locator(".mg-user .mg-text").first.inner_text() == "住民票\nの写し"
    assert page.locator(".mg-input").input_value() == ""


def test_quick_reply_sends_its_text(page: Any, stack: Stack) -> None:
    open_widget(page)
    answer = ask(page, "ごみについて")
    chips = answer.locator(".mg-quick button")
    assert chips.all_inner_texts() == ["燃えるごみ", "粗大ごみ"]
    chips.first.click()
    page.get_by_text("燃えるごみは月曜日と木曜日").wait_for()
    assert stack.rasa.received[-1]["message"] == "燃えるごみの日"
    assert page.locator(".mg-user .mg-text").last.inner_text() == "燃えるごみの日"


def test_markup_in_an_answer_is_shown_as_text(page: Any, stack: Stack) -> None:
    open_widget(page)
    answer = ask(page, "スクリプトの質問")
    assert XSS in answer.locator(".mg-text").inner_text()
    assert answer.locator("script, img").count() == 0
    assert answer.locator(".mg-link").count() == 0  # javascript: links are never rendered
    assert page.locator("a[href^='javascript']").count() == 0
    page.wait_for_timeout(200)
    assert page.dialogs == []


def test_furigana_toggle_renders_ruby(page: Any, stack: Stack) -> None:
    open_widget(page)
    answer = ask(page, "住民票がほしい")
    toggle = page.locator(".mg-ruby-toggle")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    answer.locator("ruby").first.wait_for()
    readings = dict(
        zip(
            answer.locator("ruby").evaluate_all("rs => rs.map(r => r.firstChild.textContent)"),
            answer.locator("ruby rt").all_inner_texts(),
            strict=True,
        )
    )
    assert readings["住民票"] == "じゅうみんひょう"
    assert readings["市民課"] == "しみんか"
    assert answer.locator("ruby rt").first.is_visible()  # the page's `rt {display: none}` does not leak in
    assert answer.locator(".mg-text").evaluate("n => n.textContent").startswith("住民票")
    toggle.click()
    assert answer.locator("ruby").count() == 0


def test_keyboard_only(page: Any, stack: Stack) -> None:
    page.locator("body").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if "mg-launcher" in shadow_focus(page):
            break
    assert "mg-launcher" in shadow_focus(page), "the launcher is not reachable with Tab"
    page.keyboard.press("Enter")
    page.locator(".mg-panel").wait_for(state="visible")
    assert "mg-input" in shadow_focus(page)
    assert page.locator(".mg-launcher").get_attribute("aria-expanded") == "true"

    page.keyboard.type("ごみ")
    page.keyboard.press("Enter")
    chip = page.locator(".mg-bot").nth(1).locator(".mg-quick button").first  # 0 is the greeting
    chip.wait_for()
    chip.focus()
    page.keyboard.press("Enter")
    page.get_by_text("燃えるごみは月曜日と木曜日").wait_for()

    page.locator(".mg-input").focus()
    page.keyboard.press("Shift+Tab")  # the row above the input: report / contact buttons
    assert "mg-human" in shadow_focus(page)
    page.keyboard.press("Enter")
    contact = page.locator(".mg-log .mg-contact")
    contact.get_by_text("000-0000-1000").wait_for()
    assert contact.locator("a").get_attribute("href") == "tel:00000001000"
    assert "平日 8:30〜17:15" in contact.inner_text()
    assert "mg-human" in shadow_focus(page)

    page.keyboard.press("Escape")
    page.locator(".mg-panel").wait_for(state="hidden")
    assert "mg-launcher" in shadow_focus(page)
    assert page.locator(".mg-launcher").get_attribute("aria-expanded") == "false"

    page.keyboard.press("Enter")  # open again: the conversation is still there
    assert "mg-input" in shadow_focus(page)
    assert page.locator(".mg-user").count() == 2


def test_font_size_control(page: Any, stack: Stack) -> None:
    open_widget(page)
    text = page.locator(".mg-bot .mg-text").first
    size = lambda: float(text.evaluate("n => parseFloat(getComputedStyle(n).fontSize)"))  # noqa: E731
    normal = size()
    assert normal == 16
    page.get_by_role("button", name="文字を大きくする").click()
    page.get_by_role("button", name="文字を大きくする").click()
    assert size() > normal
    page.reload()
    open_widget(page)
    assert size() > normal  # remembered
    for _ in range(5):
        if page.get_by_role("button", name="文字を小さくする").is_enabled():
            page.get_by_role("button", name="文字を小さくする").click()
    assert size() < normal


def test_conversation_survives_a_page_load(page: Any, stack: Stack) -> None:
    open_widget(page)
    ask(page, "住民票がほしい")
    session_id = page.evaluate("() => JSON.parse(localStorage.getItem('madoguchi.session'))")
    page.reload()
    open_widget(page)
    page.locator(".mg-user").first.wait_for()
    assert page.locator(".mg-user .mg-text").all_inner_texts() == ["住民票がほしい"]
    assert "市民課" in page.locator(".mg-bot .mg-text").last.inner_text()
    assert page.evaluate("() => JSON.parse(localStorage.getItem('madoguchi.session'))") == session_id


def test_photo_report(page: Any, stack: Stack) -> None:
    from PIL import Image

    open_widget(page)
    ask(page, "道路の破損を報告したい")
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(jpeg, format="JPEG")
    file_input = page.locator(".mg-file")
    assert file_input.get_attribute("accept") == "image/*"
    assert file_input.get_attribute("capture") == "environment"
    with page.expect_file_chooser() as chooser:
        page.locator(".mg-photo").click()
    chooser.value.set_files({"name": "road.jpg", "mimeType": "image/jpeg", "buffer": jpeg.getvalue()})
    page.get_by_text("写真を受け付けました").wait_for()
    turn = stack.rasa.received[-1]
    assert turn["metadata"]["photo_ids"] and isinstance(turn["metadata"]["photo_ids"][0], str)
    assert page.locator(".mg-user .mg-text").last.inner_text() == "写真を送りました"


def test_location_needs_explicit_consent(page: Any, stack: Stack) -> None:
    open_widget(page)
    before = count_sent(stack)
    page.locator(".mg-location").click()
    consent = page.locator(".mg-consent")
    consent.wait_for()
    assert "mg-consent-yes" in shadow_focus(page)
    page.locator(".mg-consent-no").click()
    assert consent.is_hidden() and count_sent(stack) == before
    page.locator(".mg-location").click()
    page.locator(".mg-consent-yes").click()
    page.get_by_text("場所を受け付けました").wait_for()
    location = stack.rasa.received[-1]["metadata"]["location"]
    assert location == {"lat": 43.062096, "lon": 141.354376}


def test_axe_finds_no_serious_violations(page: Any, stack: Stack) -> None:
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: run `npm install` (make setup)")
    open_widget(page)
    answer = ask(page, "住民票がほしい")
    answer.locator(".mg-feedback").wait_for()
    ask(page, "ごみ")
    page.locator(".mg-human").click()
    page.locator(".mg-contact").wait_for()
    page.locator(".mg-location").click()
    page.locator(".mg-ruby-toggle").click()
    page.locator(".mg-log ruby").first.wait_for()
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document.getElementById('madoguchi-widget'),
                                {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}));
    }""")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-desktop.png"))
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def test_standalone_page(browser: Any, stack: Stack) -> None:
    ctx = browser.new_context(locale="ja-JP", viewport={"width": 1024, "height": 768})
    try:
        page = ctx.new_page()
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text))
        page.goto(f"{stack.gateway}/chat")
        page.locator(".mg-panel").wait_for(state="visible")
        assert page.locator(".mg-launcher").count() == 0
        assert page.locator("h1#mg-title").inner_text() == "みどり野市 AIチャット窓口"
        page.locator(".mg-bot").first.wait_for()  # the greeting
        answer = ask(page, "住民票がほしい")
        assert "市民課" in answer.inner_text()
        assert [m for m in console if "Content Security Policy" in m] == []  # the page's own CSP holds
        page.evaluate(AXE.read_text(encoding="utf-8"))  # evaluate is not subject to the page's CSP
        result = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(v => ({id: v.id, impact: v.impact}))""")
        assert [v for v in result if v["impact"] in ("serious", "critical")] == []
    finally:
        ctx.close()


def test_phone_viewport_screenshot(browser: Any, stack: Stack) -> None:
    ctx = browser.new_context(
        locale="ja-JP",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        page = ctx.new_page()
        page.goto(stack.city_url)
        page.locator(".mg-launcher").wait_for(state="visible")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "widget-390-closed.png"))
        page.locator(".mg-launcher").tap()
        page.locator(".mg-bot").first.wait_for()
        ask(page, "ごみ")
        ask(page, "住民票がほしい")
        page.screenshot(path=str(SCREENSHOTS / "widget-390.png"))
        box = page.locator(".mg-panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844 + 0.5
        send_box = page.locator(".mg-send").bounding_box()
        assert send_box["x"] + send_box["width"] <= 390 and send_box["height"] >= 44
        overflow = page.locator(".mg-log").evaluate("n => n.scrollWidth > n.clientWidth")
        assert overflow is False
        page.locator(".mg-ruby-toggle").tap()
        page.locator(".mg-log ruby").first.wait_for()
        page.locator(".mg-human").tap()
        page.locator(".mg-contact a").wait_for()
        page.screenshot(path=str(SCREENSHOTS / "widget-390-furigana.png"))
    finally:
        ctx.close()


def test_widget_script_loads_once_and_needs_no_page_globals(page: Any, stack: Stack) -> None:
    page.evaluate(
        """(src) => new Promise(ok => {
        const s = document.createElement('script'); s.src = src; s.onload = ok; document.body.appendChild(s);
    })""",
        f"{stack.gateway}/widget.js",
    )
    assert page.locator("#madoguchi-widget").count() == 1
    assert page.errors == []


def test_rate_limit_and_network_errors_are_explained(page: Any, stack: Stack) -> None:
    open_widget(page)
    message = "短い時間にたくさんのメッセージが送られました。5秒ほど待ってから、もう一度お試しください。"
    page.route(
        "**/api/v1/chat",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "5", "Access-Control-Allow-Origin": "*"},
            content_type="application/json",
            body=json.dumps({"detail": message}),
        ),
    )
    page.locator(".mg-input").fill("住民票")
    page.locator(".mg-input").press("Enter")
    page.locator(".mg-system").get_by_text(message).wait_for()
    page.unroute("**/api/v1/chat")
    page.route("**/api/v1/chat", lambda route: route.abort())
    page.locator(".mg-input").fill("住民票")
    page.locator(".mg-input").press("Enter")
    page.locator(".mg-system").get_by_text("通信できませんでした").wait_for()
    assert page.locator(".mg-send").is_enabled()
