"""The survey builder and results in headless Chromium: an editor builds a survey in the console (no script
needed: adding and moving questions are form buttons), previews it, publishes it, and reads the results page
with its charts and 「5未満」 cross-tab; axe finds no violation on the builder, the preview and the results.

Screenshots go to var/screenshots/: survey_builder_{1280,390}.png (the form with the preview beside it),
survey_detail_1280.png, survey_results_{1280,390}.png, survey_send_1280.png.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.run.launcher import free_port
from bot.services import services_of
from bot.settings import load_settings
from bot.storage import accounts
from bot.storage.db import transaction
from bot.storage.profiles import set_profile
from bot.surveys import service
from bot.surveys.definition import parse_definition
from knowledge.clock import CITY_TZ
from tests.support.admin import CHEAP_PASSWORD_COST
from tests.support.widget_browser import AXE, CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "var" / "screenshots"
PASSWORD = "browser-test-password"


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (make setup)")
        pytest.skip(f"{CHROMIUM} is not installed (make setup)")
    import uvicorn

    from bot.app import create_app

    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("survey-console") / "var",
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
        accounts.create_user(
            session, "editor", PASSWORD, "editor", display_name="テスト編集者", policy=services.passwords
        )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "gateway did not start"
    app.state.base_url = f"http://127.0.0.1:{port}"
    yield app
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(console: Any) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def login(browser: Any, console: Any, width: int = 1280) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{console.state.base_url}/admin/login")
    page.fill("input[name=username]", "editor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/admin/login" not in page.url
    return page


def axe_violations(page: Any) -> list[dict[str, Any]]:
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: run `npm install` (make setup)")
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")  # over DevTools: the page's CSP stays on
    return page.evaluate(
        """async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}));
    }"""
    )


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{page.url} scrolls sideways by {overflow}px"
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def answer_it(console: Any, survey_id: int) -> None:
    """Nine residents with a profile answer (five in their 30s, four in their 40s) and one without."""
    now = datetime.now(UTC)
    with transaction(services_of(console).factory) as session:
        for n in range(9):
            sender = f"line-{survey_id}-{n}"
            set_profile(session, sender, age_group="30代" if n < 5 else "40代", area="中央地区")
            answers = {
                0: "はい" if n % 3 else "いいえ",
                1: 5 - n % 4,
                2: "窓口の方が親切でした。090-1234-5678",
            }
            service.submit(session, survey_id, sender, answers, "line", now)
        service.submit(session, survey_id, f"web-{survey_id}", {0: "はい", 1: 3}, "web", now)


def test_build_preview_publish_and_read_the_results(console: Any, browser: Any) -> None:
    page = login(browser, console)
    page.goto(f"{console.state.base_url}/admin/surveys")
    page.click("text=新しいアンケート")
    page.wait_for_url("**/admin/surveys/new")
    page.fill("input[name=title]", "窓口サービスについてのアンケート")
    page.fill("textarea[name=intro]", "市役所の窓口をよりよくするため、ご意見をお聞かせください。")
    opened = (datetime.now(CITY_TZ) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page.fill("input[name=opens_at]", opened)  # the form proposes tomorrow; this one opens at once
    page.select_option("select[name='q0.kind']", "single")
    page.fill("input[name='q0.text']", "窓口の案内は分かりやすかったですか")
    page.fill("textarea[name='q0.choices']", "はい\nいいえ")
    page.click("button[value=add]")
    page.select_option("select[name='q1.kind']", "rating")
    page.fill("input[name='q1.text']", "窓口の満足度を教えてください")
    page.click("button[value=add]")
    page.select_option("select[name='q2.kind']", "text")
    page.fill("input[name='q2.text']", "ご意見・ご要望")
    page.uncheck("input[name='q2.required']")
    # Enter in a text box (as after an IME conversion) previews; it never saves
    page.focus("input[name='q2.text']")
    page.keyboard.press("Enter")
    page.wait_for_selector(".survey-preview")
    assert (
        page.url.endswith("/admin/surveys/new")
        and page.input_value("input[name='q2.text']") == "ご意見・ご要望"
    )
    assert "窓口の案内は分かりやすかったですか" in page.inner_text(".survey-preview .phone.line")
    assert page.locator(".survey-preview .survey-questions li").count() == 3
    assert axe_violations(page) == []
    shot(page, "survey_builder_1280.png")

    page.click("button[value=save]")
    page.wait_for_url("**/admin/surveys/*?done=created")
    assert "アンケートを作りました" in page.content()
    page.click("button:has-text('公開する')")
    page.wait_for_url("**?done=published")
    assert page.locator("text=公開中").count() >= 1
    assert axe_violations(page) == []
    shot(page, "survey_detail_1280.png")
    survey_id = int(page.url.split("/admin/surveys/")[1].split("?")[0])

    answer_it(console, survey_id)
    page.reload()
    assert (
        page.locator("button:has-text('新しい版を作る')").count() == 1
        and page.locator("text=編集する").count() == 0
    )
    page.click("text=結果を見る")
    page.wait_for_url(f"**/admin/surveys/{survey_id}/results")
    assert "回答者 10人" in page.content()
    assert page.locator(".survey-result svg.chart").count() == 2
    assert "[電話番号]" in page.inner_text(".free-texts") and "090-1234-5678" not in page.content()
    assert page.inner_text("table.crosstab tr:has(th:text-is('40代')) td >> nth=0") == "5未満"
    assert axe_violations(page) == []
    shot(page, "survey_results_1280.png")
    page.goto(f"{console.state.base_url}/admin/surveys/{survey_id}/send?kind=all")
    assert page.inner_text(".recipients") == "0人"
    assert axe_violations(page) == []
    shot(page, "survey_send_1280.png")
    page.context.close()


def test_the_builder_and_results_fit_a_phone(console: Any, browser: Any) -> None:
    page = login(browser, console, width=390)
    page.goto(f"{console.state.base_url}/admin/surveys/new")
    page.click("button[value=preview]")
    page.wait_for_selector("p.flash.error")  # an empty title: said in Japanese, nothing saved
    assert "タイトルを入力してください" in page.inner_text("p.flash.error")
    shot(page, "survey_builder_390.png")
    survey_id = published_survey(console)
    answer_it(console, survey_id)
    page.goto(f"{console.state.base_url}/admin/surveys/{survey_id}/results?by=area")
    assert page.inner_text("table.crosstab tr:has(th:text-is('中央地区')) td >> nth=0") == "9"
    assert axe_violations(page) == []
    shot(page, "survey_results_390.png")
    page.context.close()


def published_survey(console: Any) -> int:
    now = datetime.now(UTC)
    definition = parse_definition(
        {
            "title": "イベントの感想",
            "intro": "",
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=7)).isoformat(),
            "anonymous": True,
            "questions": [
                {"kind": "single", "text": "楽しめましたか", "choices": ["はい", "いいえ"]},
                {"kind": "rating", "text": "満足度"},
                {"kind": "text", "text": "感想", "required": False},
            ],
        }
    )
    with transaction(services_of(console).factory) as session:
        survey_id = service.create_survey(session, definition, "editor").id
        service.publish(session, survey_id, "editor")
    return survey_id
