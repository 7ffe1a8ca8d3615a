"""Where the widget runs: safely inside a city's page (markup shown as text, loaded once, no page globals), as
the standalone page under its own CSP, and on a phone-sized screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.widget_browser import AXE, SCREENSHOTS, XSS, Stack, ask, open_widget

pytestmark = pytest.mark.browser


def test_markup_in_an_answer_is_shown_as_text(page: Any, stack: Stack) -> None:
    open_widget(page)
    answer = ask(page, "スクリプトの質問")
    assert XSS in answer.locator(".mg-text").inner_text()
    assert answer.locator("script, img").count() == 0
    assert answer.locator(".mg-link").count() == 0  # javascript: links are never rendered
    assert page.locator("a[href^='javascript']").count() == 0
    page.wait_for_timeout(200)
    assert page.dialogs == []


def test_widget_script_loads_once_and_needs_no_page_globals(page: Any, stack: Stack) -> None:
    page.evaluate(
        """(src) => new Promise(ok => {
        const s = document.createElement('script'); s.src = src; s.onload = ok; document.body.appendChild(s);
    })""",
        f"{stack.gateway}/widget.js",
    )
    assert page.locator("#madoguchi-widget").count() == 1
    assert page.errors == []


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
