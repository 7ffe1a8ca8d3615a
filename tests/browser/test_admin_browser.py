"""The staff console in headless Chromium: an editor creates, edits and reverts an FAQ (and the chat path's
searcher follows), a viewer cannot reach edit pages, a cluster of similar unanswered questions becomes a new
FAQ in two clicks, a report handler enrols the second factor at the first sign-in; screenshots of the main pages
at 1280 px and 390 px go to var/screenshots/.

The gateway runs in-process (uvicorn in a thread) on a free port with a temp SQLite and the hashing embedder.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest

from bot.run.launcher import free_port
from bot.services import services_of
from bot.settings import load_settings
from bot.storage import accounts, conversations, faq_repo
from bot.storage.db import transaction
from knowledge.kb import FaqEntry
from tests.support.admin import CHEAP_PASSWORD_COST, authenticator_code

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
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
PASSWORD = "browser-test-password"
SIMILAR = [
    "市民プールは何時から泳げますか",
    "市民プールは何時から泳げる?",
    "市民プールって何時から泳げますか",
]
SEED = [
    FaqEntry(
        id="juminhyo",
        question="住民票の写しはどこで取れますか",
        answer="市民課の窓口かコンビニで取れます。",
        category="証明書",
        department="市民課",
        url="https://www.city.midorino.example/juminhyo",
    ),
    FaqEntry(
        id="sodai-gomi",
        question="粗大ごみの出し方を教えてください",
        answer="粗大ごみ受付センターに申し込んでください。",
        category="ごみ",
        department="環境課",
    ),
    FaqEntry(
        id="inu-toroku",
        question="犬を飼い始めたら登録が必要ですか",
        answer="生後91日以上の犬は登録が必要です。",
        category="動物",
        department="環境課",
    ),
]


@dataclass
class Console:
    base: str
    app: Any


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make setup)")
    import uvicorn

    from bot.app import create_app

    tmp = tmp_path_factory.mktemp("admin-browser")
    settings = load_settings(
        data_dir=tmp / "var",
        embedder="hashing",
        env="test",
        rasa_port=9,
        actions_port=9,
        secret_key="browser-test-secret-key-0123456789",
        **CHEAP_PASSWORD_COST,
    )
    app = create_app(settings)
    services = services_of(app)
    with transaction(services.factory) as session:
        for role in ("admin", "editor", "viewer", "report_handler"):
            accounts.create_user(
                session, role, PASSWORD, role, display_name=f"テスト{role}", policy=services.passwords
            )
        faq_repo.seed_if_empty(session, SEED)
        for i, text in enumerate(SIMILAR + ["図書館の本を返したい"]):
            conversations.log_unanswered(
                session,
                text=text,
                channel="line" if i % 2 else "web",
                sender=f"s{i}",
                reason="unknown",
                candidates=[],
            )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "gateway did not start"
    yield Console(base=f"http://127.0.0.1:{port}", app=app)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(console: Console) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _login(browser: Any, console: Console, username: str, width: int = 1280) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{console.base}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    code = authenticator_code(console.app, username)  # the phone's app, once the account has a second factor
    if code:
        page.fill("input[name=otp]", code)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/admin/login" not in page.url, page.content()[:500]
    if "/admin/enrol" in page.url:  # the first sign-in of a role that needs a second factor
        _enrol(page)
    return page


def _enrol(page: Any) -> None:
    """Register the key in an "authenticator app" and confirm with its code and the password."""
    secret = page.get_attribute("input[name=secret]", "value")
    assert page.inner_text("#totp-secret").replace(" ", "") == secret  # the key shown for typing by hand
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.fill("input[name=current]", PASSWORD)
    page.click("form[action='/admin/account/totp'] button[type=submit]")
    page.wait_for_load_state()
    assert "/admin/enrol" not in page.url, page.content()[:500]


def _chat_path_searcher(console: Console) -> Any:
    """A LiveSearcher of its own, like the one the action server holds in another process."""
    from bot.live_search import LiveSearcher
    from knowledge.embedders import make_embedder

    searcher = LiveSearcher(console.app.state.services.factory, make_embedder("hashing"))
    searcher.warm_up()
    return searcher


def _eventually(check: Any, seconds: float = 2.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_editor_creates_edits_and_reverts_an_faq(console: Console, browser: Any) -> None:
    chat_searcher = _chat_path_searcher(console)
    page = _login(browser, console, "editor")
    page.goto(f"{console.base}/admin/faq/new")
    page.fill("input[name=question]", "自転車の防犯登録はどこでできますか")
    page.fill("textarea[name=answer]", "市内の自転車販売店で登録できます。")
    page.fill("textarea[name=alt_questions]", "自転車の登録をしたい")
    page.fill("input[name=url]", "https://www.city.midorino.example/bicycle")
    page.fill("input[name=category]", "くらし")
    assert page.inner_text(".phone.line [data-preview-text]") == "市内の自転車販売店で登録できます。"
    assert page.is_visible(".phone.line .line-button")
    page.click("text=ID(省略すると自動で付けます)")
    page.fill("input[name=id]", "bicycle")
    page.click("button:has-text('保存する')")
    page.wait_for_url("**/admin/faq/bicycle?saved=1")
    assert "保存しました" in page.content()

    started = time.monotonic()
    found = _eventually(lambda: (chat_searcher.search("自転車の登録をしたい").hits or [None])[0])
    assert found is not None and found.faq_id == "bicycle", "the chat path did not see the new entry"
    assert time.monotonic() - started < 2.0

    page.fill("input[name=try]", "自転車の登録をしたい")
    page.click("form[data-try] button")
    page.wait_for_selector(".try-result .hits li")
    assert "bicycle" in page.inner_text(".try-result .hits li:first-child")

    page.click("text=編集する")
    page.fill("textarea[name=answer]", "市内の自転車販売店と市役所1階の窓口で登録できます。")
    page.click("button:has-text('保存する')")
    page.wait_for_url("**/admin/faq/bicycle?saved=1")
    assert page.inner_text("dl.diff ins").strip().startswith("と市役所1階の窓口")
    assert _eventually(lambda: "市役所1階" in chat_searcher.entry("bicycle").answer)

    page.click("ol.history li:first-child button:has-text('この変更を取り消す')")
    page.wait_for_url("**/admin/faq/bicycle?saved=1")
    with console.app.state.services.factory() as session:
        assert faq_repo.get_entry(session, "bicycle").answer == "市内の自転車販売店で登録できます。"
    assert page.inner_text("ol.history li:first-child .tag") == "元に戻す"
    page.context.close()


def test_viewer_cannot_reach_edit_pages(console: Console, browser: Any) -> None:
    page = _login(browser, console, "viewer")
    page.goto(f"{console.base}/admin/faq/juminhyo")
    assert page.locator("text=編集する").count() == 0
    for path in ("/admin/faq/new", "/admin/faq/juminhyo/edit", "/admin/faq/io/import", "/admin/users"):
        response = page.goto(f"{console.base}{path}")
        assert response is not None and response.status == 403, path
        assert "アクセスできません" in page.content()
    page.context.close()


def test_cluster_becomes_a_new_faq_in_two_clicks(console: Console, browser: Any) -> None:
    page = _login(browser, console, "editor")
    page.goto(f"{console.base}/admin/unanswered")
    cluster = page.locator("[data-cluster]").first
    assert cluster.locator(".count").inner_text() == "3件"
    cluster.locator("text=この質問から FAQ を作る").click()  # click 1
    page.wait_for_url("**/admin/faq/new?from=*")
    assert page.input_value("input[name=question]") in SIMILAR
    assert len(page.input_value("textarea[name=alt_questions]").splitlines()) == 2
    page.fill("textarea[name=answer]", "市民プールは午前9時から泳げます。")
    page.click("button:has-text('保存する')")  # click 2
    page.wait_for_url("**/admin/faq/*?saved=1")
    faq_id = page.url.split("/admin/faq/")[1].split("?")[0]
    with console.app.state.services.factory() as session:
        entry = faq_repo.get_entry(session, faq_id)
        assert entry is not None and sorted([entry.question, *entry.alt_questions]) == sorted(SIMILAR)
        statuses = {u.text: u.status for u in conversations.list_unanswered(session, status=None)}
    assert all(statuses[t] == "resolved" for t in SIMILAR) and statuses["図書館の本を返したい"] == "open"
    page.context.close()


def test_a_report_handler_enrols_the_second_factor_at_the_first_sign_in(
    console: Console, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{console.base}/admin/login")
    page.fill("input[name=username]", "report_handler")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/admin/enrol" in page.url and "2段階認証の設定" in page.content()
    # the QR code is drawn (an SVG data: image the console's Content-Security-Policy allows)
    assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin_enrol_390.png"), full_page=True)
    page.goto(f"{console.base}/admin/reports")
    assert "/admin/enrol" in page.url  # nothing else opens before the enrolment
    _enrol(page)
    assert page.url.endswith("/admin/reports")
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_of_main_pages(console: Console, browser: Any, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = _login(browser, console, "admin", width=width)
    pages = {
        "dashboard": "/admin/dashboard",
        "faq_list": "/admin/faq?try=住民票がほしい",
        "faq_edit": "/admin/faq/juminhyo/edit",
        "faq_detail": "/admin/faq/juminhyo",
        "unanswered": "/admin/unanswered",
        "import": "/admin/faq/io/import",
        "audit": "/admin/audit",
        "reports": "/admin/reports",
    }
    for name, path in pages.items():
        response = page.goto(f"{console.base}{path}")
        assert response is not None and response.status in (200, 404), (
            path,
            response.status if response else None,
        )
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at {width}px"
        page.screenshot(path=str(SCREENSHOTS / f"admin_{name}_{width}.png"), full_page=True)
    page.context.close()
