"""actions.runtime: the runtime an action is built with, and the turn's META and metadata."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from rasa_sdk import Tracker

from actions.runtime import RuntimeAction, message_metadata, meta, render_response
from tests.support.citydata import make_env


def _tracker(metadata: object) -> Tracker:
    return Tracker(
        sender_id="web-1", slots={}, latest_message={"text": "x", "metadata": metadata}, events=[],
        paused=False, followup_action=None, active_loop={}, latest_action_name=None,
    )  # fmt: skip


def test_meta_keeps_only_the_values_given() -> None:
    assert meta(kind="faq", faq_id="a", link=None) == {"madoguchi": {"kind": "faq", "faq_id": "a"}}


def test_message_metadata_is_a_dict_or_empty() -> None:
    assert (
        message_metadata(_tracker({"channel": "line", "resident_key": "line-1"}))["resident_key"] == "line-1"
    )
    assert message_metadata(_tracker(["not", "a", "dict"])) == {}
    assert message_metadata(_tracker(None)) == {}


def test_runtime_gives_the_city_its_clock_and_the_report_tables(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 11, 23, 10, 0))
    rt = env.rt
    assert rt.clock.today().isoformat() == "2026-11-23"
    assert rt.city() is rt.city()  # loaded once, then kept until a staff import
    assert rt.categories().get("road_damage").label == "道路の穴・損傷"
    assert rt.photos().root == rt.settings.uploads_dir / "photos"
    assert rt.settings.contact_phone in rt.contact_text()
    env.at(datetime(2027, 1, 9, 10, 0))
    assert rt.clock.today().isoformat() == "2027-01-09"

    class Probe(RuntimeAction):
        def name(self) -> str:
            return "action_probe"

    assert Probe(rt).rt is rt


def test_the_contact_is_the_configured_one_when_the_city_store_is_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_env(tmp_path, datetime(2026, 11, 23, 10, 0))
    s = env.rt.settings

    def away() -> None:
        raise OSError("database is down")

    monkeypatch.setattr(env.rt, "city", away)
    assert env.rt.contact() == (s.contact_counter, s.contact_phone, s.contact_hours)


def test_a_response_renders_from_the_domain_rasa_sent_as_rasa_fills_it() -> None:
    domain = {"responses": {"utter_x": [{"text": "{place}付近ですね。{unknown}"}]}}
    assert render_response(domain, "utter_x", place="中央町") == "中央町付近ですね。{unknown}"
    assert render_response(domain, "utter_y") is None and render_response({}, "utter_x") is None
