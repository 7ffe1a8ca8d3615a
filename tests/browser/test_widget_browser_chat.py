"""Chatting in the widget: an answer with its link and feedback, IME-safe Enter, quick replies, a conversation
that survives a page load, and rate-limit and network errors explained (the widget on a fake city page)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.widget_browser import FAQ_LINK, Stack, ask, count_sent, open_widget, shadow_focus

pytestmark = pytest.mark.browser


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
