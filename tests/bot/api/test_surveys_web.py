"""Surveys on the web (bot/api/surveys.py): the accessible form, answering and changing answers, the CSRF guard,
closed / not-yet-open / unknown surveys, the widget's hand-over of its pseudonym, anonymity, the rate limit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.api import respondent
from bot.app import create_app
from bot.services import services_of
from bot.settings import Settings
from bot.storage.db import transaction
from bot.storage.surveys import SurveyResponseRow
from bot.surveys import service
from knowledge.clock import CITY_TZ, CityClock
from tests.support.survey_web import csrf_of, make_survey

SENDER = "0123456789abcdef0123456789abcdef"
SECRET = "test-secret-key-not-for-production"  # tests/conftest.py
GOOD = {"q0": "年に数回", "q1": ["住民票", "ごみ"], "q2": "4", "q3": "土日も開いていると助かります。"}


def services(client: TestClient) -> Any:
    return services_of(client.app)  # type: ignore[arg-type]


def survey(client: TestClient, **kwargs: Any) -> int:
    return make_survey(services(client).factory, **kwargs)


def responses(client: TestClient, survey_id: int) -> list[SurveyResponseRow]:
    with transaction(services(client).factory) as session:
        rows = session.scalars(
            select(SurveyResponseRow).where(SurveyResponseRow.survey_id == survey_id)
        ).all()
        session.expunge_all()
        return list(rows)


def post(client: TestClient, survey_id: int, data: dict[str, Any], **headers: str) -> Any:
    page = client.get(f"/surveys/{survey_id}")
    return client.post(
        f"/surveys/{survey_id}",
        data={**data, "csrf": csrf_of(page.text)},
        headers=headers,
        follow_redirects=False,
    )


def test_the_form_is_accessible_html_that_needs_no_script(client: TestClient) -> None:
    sid = survey(client)
    page = client.get(f"/surveys/{sid}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="ja">' in html and "<h1>市民サービス満足度調査</h1>" in html
    assert html.count("<fieldset") == 4 and html.count("<legend>") == 4
    assert "（必須）" in html and "（任意）" in html  # required said in words, not by colour
    assert (
        'type="radio" id="q0-0" name="q0" value="月1回以上"' in html
        and '<label for="q0-0">月1回以上</label>' in html
    )
    assert 'type="checkbox" id="q1-3" name="q1" value="税金"' in html
    assert all(f'name="q2" value="{n}"' in html for n in range(1, 6))
    assert 'maxlength="500"' in html and "500文字以内で入力してください。" in html
    assert 'aria-describedby="q3-hint q3-count"' in html and "0文字（あと500文字）" in html
    assert 'method="post" action="/surveys/' in html and 'type="submit"' in html
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("mg_respondent=") and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Path=/surveys" in cookie
    assert client.get("/survey-assets/survey.js").status_code == 200
    assert client.get("/survey-assets/widget.js").status_code == 404


def test_a_missing_required_answer_is_announced_and_nothing_is_lost(client: TestClient) -> None:
    sid = survey(client)
    data = {**GOOD, "q2": ""}  # the rating left out
    response = post(client, sid, data)
    assert response.status_code == 422
    html = response.text
    assert 'role="alert"' in html and 'id="error-summary"' in html and "autofocus" in html
    assert '<a href="#q2-0">問3: この質問は回答が必要です。</a>' in html
    assert 'id="q2-group" aria-describedby="q2-hint q2-error"' in html
    assert '<span class="sv-error-label">エラー:</span>' in html
    assert html.startswith("<!doctype html>") and "<title>【入力内容をご確認ください】" in html
    # what the resident chose and wrote is still there
    assert 'value="年に数回" checked' in html and 'value="ごみ" checked' in html
    assert "土日も開いていると助かります。</textarea>" in html
    assert responses(client, sid) == []


def test_answers_are_stored_and_can_be_changed_until_close(client: TestClient) -> None:
    sid = survey(client)
    response = post(client, sid, GOOD)
    assert response.status_code == 303 and response.headers["location"] == f"/surveys/{sid}/thanks"
    thanks = client.get(f"/surveys/{sid}/thanks")
    assert thanks.status_code == 200 and "ご回答ありがとうございました" in thanks.text
    [row] = responses(client, sid)
    assert row.channel == "web" and row.completed_at is not None
    assert row.answers == {
        "0": "年に数回",
        "1": ["住民票", "ごみ"],
        "2": 4,
        "3": "土日も開いていると助かります。",
    }
    key = respondent.unsign_key(services(client).settings.secret_key.get_secret_value(),
                                client.cookies["mg_respondent"])  # fmt: skip
    assert row.respondent == key and key is not None and key.startswith("web-")

    again = client.get(f"/surveys/{sid}")  # prefilled with the earlier answers
    assert "回答済みです。" in again.text and 'value="4" checked' in again.text
    assert ">回答を変更する</button>" in again.text
    changed = post(client, sid, {**GOOD, "q2": "2", "q1": "税金", "q3": ""})
    assert changed.status_code == 303
    [row] = responses(client, sid)
    assert row.answers == {"0": "年に数回", "1": ["税金"], "2": 2, "3": None}


def test_line_breaks_count_once_and_too_long_text_is_refused(client: TestClient) -> None:
    sid = survey(client)
    assert post(client, sid, {**GOOD, "q3": "あ\r\n" * 166 + "ああ"}).status_code == 303  # 500 characters
    response = post(client, sid, {**GOOD, "q3": "い" * 501})
    assert response.status_code == 422 and "500文字以内で入力してください(いま501文字です)。" in response.text
    assert 'aria-invalid="true"' in response.text
    assert responses(client, sid)[0].answers["3"].startswith("あ\nあ")


def test_a_choice_that_is_not_offered_is_refused(client: TestClient) -> None:
    sid = survey(client)
    response = post(client, sid, {**GOOD, "q0": "<script>", "q2": "9"})
    assert response.status_code == 422
    assert (
        "問1: 選択肢の中から1つ選んでください。" in response.text
        and "問3: 1から5の数字で答えてください。" in response.text
    )
    assert "<script>" not in response.text.split("</head>")[1]
    assert responses(client, sid) == []


def test_a_post_without_the_forms_token_or_from_another_site_stores_nothing(client: TestClient) -> None:
    sid = survey(client)
    client.get(f"/surveys/{sid}")
    no_token = client.post(f"/surveys/{sid}", data=GOOD, follow_redirects=False)
    assert no_token.status_code == 403 and "回答はまだ保存されていません" in no_token.text
    assert 'value="年に数回" checked' in no_token.text  # the choices come back, with a fresh token
    other_site = post(client, sid, GOOD, origin="https://evil.example")
    assert other_site.status_code == 403
    client.cookies.clear()
    forged = client.post(f"/surveys/{sid}", data={**GOOD, "csrf": "0" * 40}, follow_redirects=False)
    assert forged.status_code == 403 and "mg_respondent=" in forged.headers["set-cookie"]
    assert responses(client, sid) == []
    assert post(client, sid, GOOD, origin="http://testserver").status_code == 303


def test_closed_not_yet_open_and_unknown_surveys_say_so(client: TestClient) -> None:
    svc = services(client)
    closed = survey(client)
    with transaction(svc.factory) as session:
        service.close(session, closed, "editor1")
    later = survey(client, opens=timedelta(days=2))
    draft = survey(client, publish=False)

    page = client.get(f"/surveys/{closed}")
    assert page.status_code == 410 and "受付は終了しました" in page.text
    data = {**GOOD, "csrf": "x"}
    assert client.post(f"/surveys/{closed}", data=data).status_code == 410
    page = client.get(f"/surveys/{later}")
    assert (
        page.status_code == 403
        and "まだ受付を始めていません" in page.text
        and "から回答できます" in page.text
    )
    assert client.get(f"/surveys/{draft}").status_code == 404
    assert "見つかりませんでした" in client.get("/surveys/99999").text
    for odd in ("abc", "99999999999999999999", "１", "-1"):  # a page, not a JSON error or a database overflow
        answer = client.get(f"/surveys/{odd}")
        assert answer.status_code == 404 and "見つかりませんでした" in answer.text, odd
        assert client.post(f"/surveys/{odd}", data=GOOD).status_code == 404
        assert client.get(f"/surveys/{odd}/thanks").status_code == 404
    listing = client.get("/surveys").text
    assert "受付中のアンケート" in listing and f'href="/surveys/{closed}"' not in listing
    assert f'href="/surveys/{later}"' not in listing and f'href="/surveys/{draft}"' not in listing


def test_the_close_time_passing_closes_the_form(client: TestClient) -> None:
    sid = survey(client)
    page = client.get(f"/surveys/{sid}")
    svc = services(client)
    svc.clock = CityClock(
        fixed=datetime.now(CITY_TZ).replace(tzinfo=None, microsecond=0) + timedelta(days=20)
    )
    response = client.post(f"/surveys/{sid}", data={**GOOD, "csrf": csrf_of(page.text)})
    assert response.status_code == 410 and "受付は終了しました" in response.text
    assert responses(client, sid) == []


def test_the_widget_hands_its_pseudonym_to_the_form(client: TestClient) -> None:
    sid = survey(client)
    body = client.get("/api/v1/surveys", params={"sender_id": SENDER}).json()
    assert client.get("/api/v1/surveys", params={"sender_id": "short"}).status_code == 422
    [item] = body["surveys"]
    assert item["id"] == sid and item["answered"] is False and item["url"].startswith(f"/surveys/{sid}?k=")
    hop = client.get(item["url"], follow_redirects=False)
    assert hop.status_code == 303 and hop.headers["location"] == f"/surveys/{sid}"  # the token leaves the URL
    assert post(client, sid, GOOD).status_code == 303
    [row] = responses(client, sid)
    assert row.respondent == services(client).chat.resident_key("web", SENDER)
    assert (
        client.get("/api/v1/surveys", params={"sender_id": SENDER}).json()["surveys"][0]["answered"] is True
    )
    # a token that was tampered with, or has expired, hands nothing over
    secret = services(client).settings.secret_key.get_secret_value()
    key = services(client).chat.resident_key("web", SENDER)
    assert respondent.read_handoff(secret, respondent.handoff_token(secret, key)) == key
    assert respondent.read_handoff(secret, respondent.handoff_token(secret, key, now=0)) is None
    assert respondent.read_handoff(secret, respondent.handoff_token(secret, key)[:-1] + "0") is None
    assert respondent.read_handoff("another-secret", respondent.handoff_token(secret, key)) is None


def test_an_anonymous_survey_never_stores_the_pseudonym(client: TestClient) -> None:
    sid = survey(client, anonymous=True)
    assert "このアンケートは無記名です" in client.get(f"/surveys/{sid}").text
    assert post(client, sid, GOOD).status_code == 303
    [row] = responses(client, sid)
    key = respondent.unsign_key(services(client).settings.secret_key.get_secret_value(),
                                client.cookies["mg_respondent"])  # fmt: skip
    assert key and row.respondent != key and key not in row.respondent
    assert 'value="4" checked' in client.get(f"/surveys/{sid}").text  # yet the resident sees their answers


def test_a_forged_cookie_is_not_believed(client: TestClient) -> None:
    sid = survey(client)
    assert post(client, sid, GOOD).status_code == 303
    real = client.cookies["mg_respondent"]
    client.cookies.clear()
    forged = respondent.sign_key("another-secret", respondent.unsign_key(SECRET, real) or "")
    client.cookies.set("mg_respondent", forged, path="/surveys")
    page = client.get(f"/surveys/{sid}")
    assert "回答済みです" not in page.text and "mg_respondent=" in page.headers["set-cookie"]


@pytest.mark.parametrize("path", ["/surveys", "/surveys/1"])
def test_the_public_pages_are_rate_limited(client: TestClient, path: str) -> None:
    survey(client)
    codes = [client.get(path).status_code for _ in range(60)]  # the helpers' bucket: 10 × 5 a minute
    assert 429 in codes and codes[0] == 200
    limited = client.get(path)
    assert limited.status_code == 429 and "秒ほど待ってから" in limited.json()["detail"]


@pytest.mark.postgres
def test_answering_and_changing_on_postgresql(web_settings: Settings, postgres_url: str) -> None:
    settings = web_settings.model_copy(update={"database_url": postgres_url})
    with TestClient(create_app(settings)) as client:
        sid = survey(client)
        assert post(client, sid, GOOD).status_code == 303
        assert post(client, sid, {**GOOD, "q2": "1", "q1": ["税金", "子育て"]}).status_code == 303
        [row] = responses(client, sid)
        assert row.answers["2"] == 1 and row.answers["1"] == ["子育て", "税金"]
        assert client.get("/surveys/999999999").status_code == 404
