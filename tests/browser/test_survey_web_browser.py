"""The web survey form in Chromium: answered with the keyboard only, a missing answer announced with focus on the
error summary, fixed, then changed; axe finds no violation on the form, its error state and the thanks page. It
works without JavaScript. The widget shows the 「アンケート」 link (embedded on another origin, it hands its pseudonym
to the form), the 「登録情報」 box and the satisfaction check.

Screenshots (var/screenshots): survey-form.png, survey-form-error.png, survey-thanks.png, widget-profile.png,
widget-satisfaction.png.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.services import services_of
from bot.storage.db import transaction
from bot.storage.models import Message
from bot.storage.profiles import ResidentProfile
from bot.storage.surveys import SatisfactionScore, SurveyResponseRow
from tests.support.survey_web import make_survey
from tests.support.widget_browser import AXE, SCREENSHOTS, Stack

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def survey_id(stack: Stack) -> int:
    return make_survey(services_of(stack.app).factory)


@pytest.fixture
def tab(context: Any) -> Iterator[Any]:
    """A page of its own (the `page` fixture opens the city's page with the widget)."""
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    yield page
    assert page.errors == []  # type: ignore[attr-defined]


def axe_violations(page: Any, selector: str = "html") -> list[dict[str, Any]]:
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: run `npm install` (make setup)")
    # evaluated over the DevTools protocol: the page's CSP (script-src 'self') stays on, as residents get it
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    return page.evaluate(
        """async (selector) => {
        const r = await axe.run(document.querySelector(selector), {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}));
    }""",
        selector,
    )


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def focused_id(page: Any) -> str:
    return page.evaluate("() => document.activeElement ? document.activeElement.id : ''")


def tab_to(page: Any, element_id: str, limit: int = 30) -> None:
    for _ in range(limit):
        if focused_id(page) == element_id:
            return
        page.keyboard.press("Tab")
    assert focused_id(page) == element_id, f"#{element_id} is not reachable with Tab"


def stored(stack: Stack, survey_id: int) -> list[dict[str, Any]]:
    with transaction(services_of(stack.app).factory) as session:
        rows = session.scalars(select(SurveyResponseRow).where(SurveyResponseRow.survey_id == survey_id))
        return [dict(r.answers) for r in rows]


def test_keyboard_only_error_fix_and_change(tab: Any, stack: Stack, survey_id: int) -> None:
    page = tab
    page.goto(f"{stack.gateway}/surveys/{survey_id}")
    assert axe_violations(page) == []
    shot(page, "survey-form.png")

    page.locator("body").focus()
    tab_to(page, "q0-0")
    page.keyboard.press("ArrowDown")  # 年に数回
    assert page.locator("#q0-1").is_checked()
    # Enter on a choice never submits (nor while an IME is composing: the form guards both)
    page.keyboard.press("Enter")
    assert page.locator("#error-summary").count() == 0 and stored(stack, survey_id) == []
    composing = page.evaluate("""() => {
        const e = new KeyboardEvent('keydown', {key: 'Enter', keyCode: 229, isComposing: true,
                                               bubbles: true, cancelable: true});
        return document.getElementById('q0-1').dispatchEvent(e);
    }""")
    assert composing is False  # the default (implicit submission) was prevented
    page.keyboard.press("Tab")
    assert focused_id(page) == "q1-0"
    page.keyboard.press("Space")  # 住民票
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # ごみ
    tab_to(page, "q3-text")  # the rating (問3) is left out
    page.keyboard.type("土日も窓口が開いていると助かります。")
    assert "18文字（あと482文字）" in page.locator("#q3-count").inner_text()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "sv-submit"
    page.keyboard.press("Enter")

    page.locator("#error-summary").wait_for()
    assert focused_id(page) == "error-summary"  # focus moved: a screen reader reads the summary first
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    assert "問3: この質問は回答が必要です。" in summary.inner_text()
    assert page.locator("#q2-group").get_attribute("aria-describedby") == "q2-hint q2-error"
    assert page.locator("#q0-1").is_checked() and page.locator("#q1-1").is_checked()  # nothing lost
    assert page.locator("#q3-text").input_value() == "土日も窓口が開いていると助かります。"
    assert page.title().startswith("【入力内容をご確認ください】")
    assert axe_violations(page) == []
    shot(page, "survey-form-error.png")

    page.keyboard.press("Tab")  # the summary's link to the question
    page.keyboard.press("Enter")
    assert focused_id(page) == "q2-0"
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # 1 → 4
    assert page.locator("#q2-3").is_checked()
    tab_to(page, "q3-text")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="ご回答ありがとうございました").wait_for()
    assert stored(stack, survey_id) == [
        {"0": "年に数回", "1": ["住民票", "ごみ"], "2": 4, "3": "土日も窓口が開いていると助かります。"}
    ]
    assert axe_violations(page) == []
    shot(page, "survey-thanks.png")

    # change an answer until the survey closes
    page.locator("body").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent") == "回答を確認・変更する":
            break
    page.keyboard.press("Enter")
    page.locator(".sv-notice").wait_for()
    assert "回答済みです" in page.locator(".sv-notice").inner_text()
    assert page.locator("#q2-3").is_checked()
    page.locator("body").focus()
    tab_to(page, "q2-3")  # the checked rating is the group's tab stop
    page.keyboard.press("ArrowLeft")  # 4 → 3
    tab_to(page, "q3-text")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "回答を変更する"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="ご回答ありがとうございました").wait_for()
    assert [a["2"] for a in stored(stack, survey_id)] == [3]


def test_the_form_works_without_javascript(browser: Any, stack: Stack) -> None:
    sid = make_survey(services_of(stack.app).factory, title="イベント参加者アンケート")
    context = browser.new_context(locale="ja-JP", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{stack.gateway}/surveys")
        page.get_by_role("link", name="イベント参加者アンケート").click()
        page.locator("#q0-0").check()
        page.locator("#q1-2").check()
        page.get_by_role("button", name="回答を送信する").click()
        assert "問3: この質問は回答が必要です。" in page.locator("#error-summary").inner_text()
        page.locator("label[for=q2-4]").click()
        page.get_by_role("button", name="回答を送信する").click()
        page.get_by_role("heading", name="ご回答ありがとうございました").wait_for()
        assert stored(stack, sid) == [{"0": "月1回以上", "1": ["子育て"], "2": 5, "3": None}]
    finally:
        context.close()


def open_chat_page(tab: Any, stack: Stack) -> str:
    """The standalone widget page (/chat); returns its resident key."""
    tab.goto(f"{stack.gateway}/chat")
    tab.locator(".mg-panel").wait_for(state="visible")
    session_id = json.loads(tab.evaluate("() => localStorage.getItem('madoguchi.session')"))
    return services_of(stack.app).chat.resident_key("web", session_id)


def test_the_widget_links_the_open_survey_and_manages_the_profile(
    tab: Any, stack: Stack, survey_id: int
) -> None:
    key = open_chat_page(tab, stack)
    link = tab.locator(".mg-survey")
    link.wait_for(state="visible")
    assert f"/surveys/{survey_id}?k=" in (link.get_attribute("href") or "") or "/surveys?k=" in (
        link.get_attribute("href") or ""
    )
    assert link.get_attribute("target") == "_blank"

    toggle = tab.locator(".mg-profile-toggle")
    toggle.focus()
    tab.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    tab.locator("#mg-profile-age").wait_for()
    assert "登録されていません。" in tab.locator(".mg-profile-now").inner_text()
    tab.locator("#mg-profile-age").select_option("40代")
    tab.locator("#mg-profile-area").select_option("駅前地区")
    tab.locator(".mg-profile-save").click()
    assert "同意" in tab.locator(".mg-profile-error").inner_text()  # consent first
    tab.locator("#mg-profile-agree").check()
    tab.locator(".mg-profile-save").click()
    tab.get_by_text("登録中: 40代・駅前地区").wait_for()
    assert "登録情報を保存しました。" in tab.locator(".mg-status").inner_text()
    violations = axe_violations(tab, "#madoguchi-widget")
    shot(tab, "widget-profile.png")
    assert [v for v in violations if v["impact"] in ("serious", "critical")] == []
    with services_of(stack.app).factory() as session:
        row = session.scalars(select(ResidentProfile).where(ResidentProfile.sender == key)).one()
        assert (row.age_group, row.area) == ("40代", "駅前地区")

    tab.locator(".mg-profile-delete").click()
    tab.get_by_text("登録されていません。").wait_for()
    with services_of(stack.app).factory() as session:
        assert session.scalars(select(ResidentProfile).where(ResidentProfile.sender == key)).all() == []
    tab.keyboard.press("Escape")
    assert tab.locator("#mg-profile").is_hidden() and toggle.get_attribute("aria-expanded") == "false"


def test_the_widget_asks_for_satisfaction_on_the_tenth_conversation(tab: Any, stack: Stack) -> None:
    key = open_chat_page(tab, stack)
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=2)
    with transaction(services_of(stack.app).factory) as session:
        for i in range(9):  # nine earlier conversations, an hour apart
            session.add(Message(channel="web", sender=key, direction="in", text="質問",
                                created_at=start + timedelta(hours=i)))  # fmt: skip
    before = len(services_of(stack.app).factory().scalars(select(SatisfactionScore)).all())
    tab.locator(".mg-input").fill("住民票がほしい")
    tab.locator(".mg-input").press("Enter")
    question = tab.locator(".mg-satisfaction")
    question.wait_for()
    assert "5段階" in question.inner_text()
    group = question.get_by_role("group", name="このチャット窓口の満足度を5段階で教えてください(任意)。")
    assert group.get_by_role("button").count() == 6  # 1–5 and 答えない
    shot(tab, "widget-satisfaction.png")
    violations = axe_violations(tab, "#madoguchi-widget")
    assert [v for v in violations if v["impact"] in ("serious", "critical")] == []
    group.get_by_role("button", name="4 やや満足").click()
    tab.get_by_text("ご回答ありがとうございます。サービスの改善に役立てます。").wait_for()
    with services_of(stack.app).factory() as session:
        scores = session.scalars(select(SatisfactionScore)).all()
    assert len(scores) == before + 1 and scores[-1].score == 4 and scores[-1].channel == "web"


def test_the_embedded_widgets_link_answers_under_the_widgets_pseudonym(
    page: Any, context: Any, stack: Stack
) -> None:
    """On the city's own site (another origin) the link hands the widget's pseudonym to the survey page."""
    sid = make_survey(services_of(stack.app).factory, title="防災アンケート", questions=[
        {"kind": "single", "text": "避難場所を知っていますか", "choices": ["知っている", "知らない"]},
    ])  # fmt: skip
    page.locator(".mg-launcher").click()
    link = page.locator(".mg-survey")
    link.wait_for(state="visible")
    session_id = json.loads(page.evaluate("() => localStorage.getItem('madoguchi.session')"))
    key = services_of(stack.app).chat.resident_key("web", session_id)
    with context.expect_page() as opened:
        link.click()
    survey_tab = opened.value
    survey_tab.wait_for_load_state()
    assert "?k=" not in survey_tab.url  # the token left the address bar
    if not survey_tab.url.endswith(f"/surveys/{sid}"):  # several open: the list first
        survey_tab.get_by_role("link", name="防災アンケート").click()
    survey_tab.locator("label[for=q0-0]").click()
    survey_tab.get_by_role("button", name="回答を送信する").click()
    survey_tab.get_by_role("heading", name="ご回答ありがとうございました").wait_for()
    with services_of(stack.app).factory() as session:
        row = session.scalars(select(SurveyResponseRow).where(SurveyResponseRow.survey_id == sid)).one()
    assert row.respondent == key and row.answers == {"0": "知っている"}
