"""`action_snowplow`: a position posted through the API changes the answer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from actions.snowplow import ActionSnowplow
from bot.app import create_app
from knowledge.kb import FaqEntry
from tests.support.citydata import make_env, metas, responses, sure_of

TOKEN = "test-snowplow-token"


def test_posted_position_marks_area_plowed(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2027, 1, 15, 7, 0), snowplow_token=TOKEN)
    text, messages, _ = env.run(ActionSnowplow(env.rt), "桜ケ丘は除雪されましたか")
    assert "この24時間に除雪車が通過した記録はまだありません" in text
    assert "0120-000-724" in text
    assert metas(messages)[0]["kind"] == "snowplow"

    with TestClient(create_app(env.settings)) as client:
        body = {"positions": [{"vehicle_id": "plow-3", "lat": 39.6901, "lon": 140.1119,
                               "timestamp": "2027-01-15T05:20:00+09:00"}]}  # fmt: skip
        bad = client.post("/api/v1/snowplow/positions", json=body, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        ok = client.post(
            "/api/v1/snowplow/positions", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert ok.status_code == 200 and ok.json() == {"received": 1, "stored": 1}

    text, _, _ = env.run(ActionSnowplow(env.rt), "桜ケ丘は除雪されましたか")
    assert "桜ケ丘地区は、今日 5時20分ごろに除雪車が通過しました" in text
    # Another area is still unplowed.
    text, _, _ = env.run(ActionSnowplow(env.rt), "川原地区の除雪は？")
    assert "記録はまだありません" in text


def test_remembered_area_and_out_of_season(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2027, 1, 15, 7, 0))
    text, _, _ = env.run(ActionSnowplow(env.rt), "除雪車来た？")
    assert "地区を教えてください" in text
    env.slots["garbage_area"] = "北町地区"
    text, _, _ = env.run(ActionSnowplow(env.rt), "除雪車来た？")
    assert "北町地区では" in text
    env.at(datetime(2026, 7, 1, 12, 0))
    text, messages, _ = env.run(ActionSnowplow(env.rt), "除雪車来た？")
    assert "除雪期間外です" in text and "12月1日〜3月31日" in text
    assert metas(messages)[0]["kind"] == "snowplow"


# --- the FAQ's turn: no area named or remembered --------------------------------------------------------------

RULE = FaqEntry(
    id="josetsu-001",
    question="除雪車はどのくらい雪が積もったら出動しますか？",
    answer="新雪が10cmを超えると、幹線道路から順に除雪車が出動します。",
    url="https://www.city.midorino.example/kurashi/josetsu/",
)
FAQ_META = {"faq_id": "josetsu-001", "kind": "faq", "link": {"label": "詳しくはこちら", "url": RULE.url}}


@pytest.mark.parametrize("now", [datetime(2027, 1, 15, 7, 0), datetime(2026, 7, 1, 12, 0)])
def test_no_area_and_a_sure_faq_answers_from_the_faq(tmp_path: Path, now: datetime) -> None:
    env = make_env(tmp_path, now, searcher=sure_of(RULE))  # in the snow season and out of it
    text, messages, events = env.run(ActionSnowplow(env.rt), "除雪車は何センチ積もったら来るの？")
    assert text == RULE.answer and metas(messages) == [FAQ_META] and events == []


@pytest.mark.parametrize("decision", ["unknown", "choose"])
def test_no_area_and_an_unsure_faq_asks_for_the_area(tmp_path: Path, decision: str) -> None:
    env = make_env(tmp_path, datetime(2027, 1, 15, 7, 0), searcher=sure_of(RULE, decision))
    text, messages, _ = env.run(ActionSnowplow(env.rt), "除雪車来た？")
    assert "除雪の状況を調べる地区を教えてください" in text and metas(messages)[-1] == {"kind": "snowplow"}
    offered = ["utter_faq_also"] if decision == "choose" else []  # the FAQ's close entries first, when torn
    assert responses(messages) == [*offered, "utter_ask_snowplow_area"]
    env.at(datetime(2026, 7, 1, 12, 0))
    text, _, _ = env.run(ActionSnowplow(env.rt), "除雪車来た？")
    assert "除雪期間外です" in text


def test_an_area_named_or_remembered_answers_from_the_positions_whatever_the_faq(tmp_path: Path) -> None:
    searcher = sure_of(RULE)
    env = make_env(tmp_path, datetime(2027, 1, 15, 7, 0), searcher=searcher)
    text, messages, events = env.run(ActionSnowplow(env.rt), "桜ケ丘は除雪されましたか")
    assert responses(messages) == ["utter_snowplow_not_yet_road"] and messages[0]["area"] == "桜ケ丘地区"
    assert "桜ケ丘地区では、この24時間に除雪車が通過した記録はまだありません" in text
    assert {"event": "slot", "timestamp": None, "name": "garbage_area", "value": "桜ケ丘地区"} in events
    text, _, _ = env.run(ActionSnowplow(env.rt), "除雪車来た？")  # the area just remembered
    assert "桜ケ丘地区では" in text
    env.at(datetime(2026, 7, 1, 12, 0))
    text, _, events = env.run(ActionSnowplow(env.rt), "川原地区の除雪は？")
    assert "除雪期間外です" in text and events == []  # out of season: as before, nothing remembered
    assert searcher.calls == []


def test_no_area_a_torn_faq_and_no_word_of_snow_offers_the_faq_entries(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2027, 1, 15, 7, 0), searcher=sure_of(RULE, "choose"))
    text, messages, _ = env.run(ActionSnowplow(env.rt), "道路の通行止めはどこで分かる？")
    assert "地区を教えてください" not in text
    assert metas(messages) == [{"candidates": [RULE.id, "other-001"], "kind": "choose"}]
