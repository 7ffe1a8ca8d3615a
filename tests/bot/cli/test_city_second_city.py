"""A second fictional city (tests/data/cities/kawabe, 架空) loaded with `madoguchi city load`: the actions answer
every topic from it, and no answer carries a string of the demo city (みどり野市)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from actions.clinics import ActionHolidayClinic
from actions.departments import ActionDepartment
from actions.faq import ActionHumanContact, ActionSearchFaq
from actions.garbage import ActionGarbageDay, ActionGarbageItem
from actions.reminders import ActionSubscribeReminder
from actions.runtime import Runtime
from actions.snowplow import ActionSnowplow
from bot.cli import app as cli
from bot.live_search import LiveSearcher
from bot.settings import load_settings
from bot.storage.db import make_engine, session_factory
from knowledge.clock import CityClock
from tests.support.citydata import CityEnv, make_env

ROOT = Path(__file__).resolve().parents[3]
KAWABE = ROOT / "tests" / "data" / "cities" / "kawabe"
DEMO_STRINGS = ("みどり野", "midorino", "000-0000-", "0120-000-")
NOW = datetime(2026, 12, 11, 10, 0)  # a Friday in かわべ町's snow season
QUESTIONS: list[tuple[Any, str]] = [
    (ActionGarbageDay, "川辺のごみの日は？"),
    (ActionGarbageDay, "明日のごみは？"),
    (ActionGarbageItem, "生ごみは何ごみ？"),
    (ActionGarbageItem, "ふにゃほげはどう捨てる？"),
    (ActionHolidayClinic, "今度の日曜の当番医は？"),
    (ActionHolidayClinic, "夜に子どもが熱を出したら病院は？"),
    (ActionDepartment, "住民票はどこで取れますか"),
    (ActionDepartment, "ふにゃほげの担当"),
    (ActionSnowplow, "川辺は除雪されましたか"),
    (ActionSnowplow, "除雪車来た？"),
    (ActionSearchFaq, "住民票の写しはどこで取れますか？"),
    (ActionSearchFaq, "ふにゃほげについて教えて"),
    (ActionHumanContact, "人と話したい"),
    (ActionSubscribeReminder, "ごみの日の通知がほしい"),
]


def _rendered(messages: list[dict], responses: dict[str, Any]) -> str:
    """Everything a resident is sent: the messages as JSON plus every variant of each named response with its
    placeholders filled in."""
    parts = [json.dumps(messages, ensure_ascii=False)]
    for message in messages:
        name = message.get("response")
        if name:
            assert name in responses, f"response {name} is not in domain.yml"
            values = {k: str(v) for k, v in message.items() if k not in ("response", "buttons", "custom")}
            for variant in responses[name]:
                parts.append(
                    re.sub(
                        r"\{(\w+)\}",
                        lambda m, v=values: v.get(m[1], m[0]),  # type: ignore[misc]
                        json.dumps(variant, ensure_ascii=False),
                    )
                )
    return "\n".join(parts)


@pytest.fixture(scope="module")
def kawabe(tmp_path_factory: pytest.TempPathFactory) -> CityEnv:
    tmp = tmp_path_factory.mktemp("kawabe")
    env = {"MADOGUCHI_DATA_DIR": str(tmp / "var"), "MADOGUCHI_ENV": "test", "MADOGUCHI_CITY_DIR": str(KAWABE)}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        result = CliRunner().invoke(cli, ["city", "load", str(KAWABE)])
    assert result.exit_code == 0, result.output
    settings = load_settings(data_dir=tmp / "var", city_dir=KAWABE, embedder="hashing", second_embedder="none",
                             ranker_file="", env="test", secret_key="test-secret-key-not-for-production")  # fmt: skip
    factory = session_factory(make_engine(settings.db_url))
    searcher = LiveSearcher.from_settings(factory, settings)
    searcher.warm_up()
    return CityEnv(Runtime.assemble(settings, factory, searcher, clock=CityClock(NOW)))


def test_the_loaded_city_answers(kawabe: CityEnv) -> None:
    assert kawabe.rt.city().city.name == "かわべ町"
    assert kawabe.settings.contact_phone == "0999-00-1000"
    text, _, _ = kawabe.run(ActionGarbageDay(kawabe.rt), "川辺のごみの日は？")
    assert "川辺" in text
    text, _, _ = kawabe.run(ActionHumanContact(kawabe.rt), "人と話したい")
    assert "0999-00-1000" in text and "かわべ町" in text
    _, messages, _ = kawabe.run(ActionGarbageItem(kawabe.rt), "ふにゃほげはどう捨てる？")
    assert "town.kawabe.example" in json.dumps(messages, ensure_ascii=False)


@pytest.mark.parametrize(("action", "question"), QUESTIONS)
def test_no_demo_city_string_reaches_a_resident(kawabe: CityEnv, action: Any, question: str) -> None:
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8")).get("responses") or {}
    kawabe.slots.clear()
    _, messages, _ = kawabe.run(action(kawabe.rt), question)
    assert messages, question
    sent = _rendered(messages, responses)
    assert [s for s in DEMO_STRINGS if s in sent] == [], sent


def test_the_scan_finds_the_demo_city(tmp_path: Path) -> None:
    demo = make_env(tmp_path, NOW)
    _, messages, _ = demo.run(ActionHumanContact(demo.rt), "人と話したい")
    assert "000-0000-" in _rendered(
        messages, yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    )
