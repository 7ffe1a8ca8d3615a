"""The widget's 「登録情報」 (bot/api/profile.py): consent first, see, change, delete (also from survey answers)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.services import services_of
from bot.storage.db import transaction
from bot.storage.profiles import AGE_GROUPS, ResidentProfile
from bot.storage.surveys import SurveyResponseRow
from tests.support.survey_web import csrf_of, make_survey

SENDER = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


def services(client: TestClient) -> Any:
    return services_of(client.app)  # type: ignore[arg-type]


def profile(client: TestClient, sender: str = SENDER) -> dict[str, Any]:
    response = client.get("/api/v1/profile", params={"sender_id": sender})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    return response.json()


def put(client: TestClient, **body: Any) -> Any:
    return client.put("/api/v1/profile", json={"sender_id": SENDER, **body})


def test_nothing_is_registered_until_the_resident_consents(client: TestClient) -> None:
    body = profile(client)
    assert body["registered"] is False and body["needs_consent"] is True
    assert body["age_groups"] == list(AGE_GROUPS) and "中央地区" in body["areas"]
    assert "任意" in body["consent_text"] and "削除" in body["consent_text"]
    refused = put(client, age_group="30代", area="中央地区")
    assert refused.status_code == 400 and "同意する" in refused.json()["detail"]
    assert profile(client)["registered"] is False

    saved = put(client, age_group="30代", area="中央地区", consent=True)
    assert saved.status_code == 200
    assert saved.json()["message"] == "登録情報を保存しました。" and saved.json()["needs_consent"] is False
    body = profile(client)
    assert (body["registered"], body["age_group"], body["area"]) == (True, "30代", "中央地区")
    assert body["consented_at"].endswith("+00:00")
    assert profile(client, OTHER)["registered"] is False  # another browser sees nothing

    with services(client).factory() as session:
        [row] = session.scalars(select(ResidentProfile)).all()
    assert row.sender == services(client).chat.resident_key("web", SENDER) and SENDER not in row.sender


def test_a_change_needs_no_new_consent_and_bad_choices_are_refused(client: TestClient) -> None:
    assert put(client, age_group="30代", consent=True).status_code == 200
    assert put(client, age_group="40代", area="駅前地区").json()["age_group"] == "40代"
    for body, says in [
        ({"age_group": "三十代"}, "年代は選択肢の中から選んでください。"),
        ({"area": "存在しない地区"}, "地区は選択肢の中から選んでください。"),
        ({"age_group": None, "area": None}, "削除"),
    ]:
        response = put(client, **body)
        assert response.status_code == 400 and says in response.json()["detail"]
    assert profile(client)["age_group"] == "40代"  # unchanged
    assert put(client, age_group=30).status_code == 422
    assert put(client, age_group="30代", extra=1).status_code == 422
    assert client.put("/api/v1/profile", json={"sender_id": "short", "age_group": "30代"}).status_code == 422


def test_deleting_removes_the_profile_and_its_data_from_survey_answers(client: TestClient) -> None:
    svc = services(client)
    sid = make_survey(svc.factory)
    assert put(client, age_group="60代", area="北町地区", consent=True).status_code == 200
    # answer the survey as the widget's resident (its hand-over link), so the profile is taken along
    item = client.get("/api/v1/surveys", params={"sender_id": SENDER}).json()["surveys"][0]
    client.get(item["url"])
    page = client.get(f"/surveys/{sid}")
    data = {"q0": "年に数回", "q1": "ごみ", "q2": "5", "csrf": csrf_of(page.text)}
    assert client.post(f"/surveys/{sid}", data=data, follow_redirects=False).status_code == 303
    with transaction(svc.factory) as session:
        row = session.scalars(select(SurveyResponseRow)).one()
        assert (row.age_group, row.area) == ("60代", "北町地区")

    deleted = client.delete("/api/v1/profile", params={"sender_id": SENDER})
    assert deleted.status_code == 200 and deleted.json() == {
        "deleted": True,
        "message": "登録情報を削除しました。",
    }
    assert profile(client)["registered"] is False and profile(client)["needs_consent"] is True
    with transaction(svc.factory) as session:
        row = session.scalars(select(SurveyResponseRow)).one()
        assert (row.age_group, row.area) == (None, None) and row.answers["2"] == 5  # the answers stay
        assert session.scalars(select(ResidentProfile)).all() == []
    again = client.delete("/api/v1/profile", params={"sender_id": SENDER}).json()
    assert again["deleted"] is False
