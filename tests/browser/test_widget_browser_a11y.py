"""The widget for everyone: keyboard only, font size, furigana, and no serious axe-core violations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.widget_browser import AXE, SCREENSHOTS, Stack, ask, open_widget, shadow_focus

pytestmark = pytest.mark.browser


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
