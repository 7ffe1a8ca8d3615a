"""Issue 6 over the whole stack: answers computed from the demo city's data at the stack's fixed local time.

The session stack runs its action server with `MADOGUCHI_CLOCK` = Saturday 9 January 2027, 10:00 (see
stack_support.CLOCK): the Monday after is 成人の日, the city does not collect on holidays, and it is snow season.
"""

from __future__ import annotations

import csv
import uuid

import httpx
import pytest

from bot.settings import REPO_ROOT
from tests.e2e.conftest import Stack
from tests.e2e.stack_support import SNOWPLOW_TOKEN

pytestmark = [pytest.mark.stack, pytest.mark.slow]

CLINICS_CSV = REPO_ROOT / "knowledge" / "data" / "city" / "clinics.csv"
AREA_QUESTION = "お住まいの地区を教えてください"


class Resident:
    """One widget conversation with the stack."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.sender = f"city-{uuid.uuid4().hex[:8]}"

    def ask(self, text: str) -> str:
        response = self.stack.chat(self.sender, text)
        assert response.status_code == 200, response.text
        body = response.json()
        return "\n".join(r["text"] for r in body["replies"])


def test_area_is_asked_once_then_remembered(stack: Stack) -> None:
    resident = Resident(stack)
    asked = resident.ask("明日は燃えるごみの日ですか")
    assert AREA_QUESTION in asked
    # The resident types the area (no button): the answer is about the question asked — tomorrow.
    answer = resident.ask("中央地区")
    assert AREA_QUESTION not in answer
    assert "中央地区" in answer and "明日1月10日（日）は収集がありません" in answer
    # A second question: the remembered area is used, nothing is asked again.
    answer = resident.ask("プラスチックの日はいつ？")
    assert AREA_QUESTION not in answer
    assert "中央地区の次の「プラスチック容器包装」は1月12日（火）です" in answer


def test_tomorrow_on_a_saturday_before_a_holiday_monday(stack: Stack) -> None:
    resident = Resident(stack)
    assert "中央地区" in resident.ask("中央地区のごみの日")
    answer = resident.ask("明日のごみは？")
    assert "明日1月10日（日）は収集がありません" in answer
    # 中央地区 puts out 燃やすごみ on Mondays, but Monday 11 is 成人の日: the next collection is Tuesday.
    assert "次の収集は1月12日（火）の「プラスチック容器包装」「粗大ごみ」です" in answer
    assert "1月11日" not in answer
    answer = resident.ask("月曜日のごみは？")
    assert "1月11日（月）は祝日のため、収集はありません" in answer


def test_this_sundays_clinics_only(stack: Stack) -> None:
    with open(CLINICS_CSV, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    sunday = "2027-01-10"
    on_duty = {r["name"] for r in rows if r["date"] == sunday}
    elsewhere = {r["name"] for r in rows if r["date"] != sunday} - on_duty
    assert on_duty and elsewhere
    answer = Resident(stack).ask("今度の日曜の当番医は？")
    assert "1月10日（日）の休日当番医です" in answer
    assert all(name in answer for name in on_duty), answer
    assert not [name for name in elsewhere if name in answer], answer
    assert "#7119" in answer and "119番" in answer


def _post_positions(stack: Stack, token: str, *fixes: tuple[float, float, str]) -> httpx.Response:
    positions = [
        {"vehicle_id": "PLOW-E2E-1", "lat": lat, "lon": lon, "timestamp": when} for lat, lon, when in fixes
    ]
    return httpx.post(
        f"{stack.url}/api/v1/snowplow/positions",
        headers={"Authorization": f"Bearer {token}"},
        json={"positions": positions},
        timeout=10,
    )


def test_a_posted_snowplow_position_changes_has_my_area_been_plowed(stack: Stack) -> None:
    resident = Resident(stack)
    asked = resident.ask("うちの地区は除雪終わった？")
    assert "除雪の状況を調べる地区を教えてください" in asked
    not_yet = "山手地区では、この24時間に除雪車が通過した記録はまだありません"
    assert not_yet in resident.ask("山手地区")  # typed, and remembered from now on

    # A vehicle in another area, and one with a wrong token: 山手地区 is still not plowed.
    assert _post_positions(
        stack, SNOWPLOW_TOKEN, (39.6720, 140.1210, "2027-01-09T07:10:00+09:00")
    ).json() == {
        "received": 1,
        "stored": 1,
    }
    refused = _post_positions(stack, "not-the-token", (39.7115, 140.1195, "2027-01-09T07:20:00+09:00"))
    assert refused.status_code == 401
    assert not_yet in resident.ask("うちの地区は除雪終わった？")

    # The plow passes through 山手地区 at 07:40 (the city's clock says 10:00 now).
    stored = _post_positions(stack, SNOWPLOW_TOKEN, (39.7115, 140.1195, "2027-01-09T07:40:00+09:00"))
    assert stored.status_code == 200 and stored.json() == {"received": 1, "stored": 1}
    answer = resident.ask("うちの地区は除雪終わった？")
    assert "山手地区は、今日 7時40分ごろに除雪車が通過しました" in answer
    assert not_yet not in answer
