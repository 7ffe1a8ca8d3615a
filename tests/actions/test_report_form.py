"""The report form (`validate_report_form` and its questions) with rasa-sdk's CollectingDispatcher and Tracker,
turn by turn."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.report_form import (
    ActionAskReportCategory,
    ActionAskReportConfirm,
    ActionAskReportDescription,
    ActionAskReportLocation,
    ActionAskReportPhotos,
    ValidateReportForm,
)
from actions.report_parsing import decode_location, turns_without_progress
from actions.reports import ActionSubmitReport
from actions.runtime import Runtime
from bot.storage import conversations
from tests.support.citydata import render
from tests.support.report_form import DOMAIN, GPS, SENDER, Form, photo, report_runtime, texts


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    runtime, engine = report_runtime(tmp_path)
    yield runtime
    engine.dispose()


def test_skip_photo_and_typed_address(rt: Runtime) -> None:
    form = Form(rt)
    form.slots["requested_slot"] = "report_category"
    form.turn("街灯が切れている", {"report_category": "街灯が切れている"})
    assert form.slots["report_category"] == "street_light"
    form.turn("スキップ")
    assert form.slots["report_photos"] == "skip"
    _, asked = form.act(ActionAskReportLocation(rt))
    assert "場所を教えてください" in texts(asked) and "写真の位置情報" not in texts(asked)
    form.turn("駅前のローソンの角", {"report_location": "駅前のローソンの角"})
    assert form.slots["report_location"] == "駅前のローソンの角"


def test_text_instead_of_photo_asks_again(rt: Runtime) -> None:
    form = Form(rt)
    form.slots.update(report_category="road_damage", requested_slot="report_photos")
    events, said = form.turn("えーと")
    assert form.slots["report_photos"] is None and "スキップ" in said[0]


def test_photo_gps_is_offered_and_used(rt: Runtime) -> None:
    settings = rt.settings
    form = Form(rt)
    form.slots.update(report_category="road_damage", requested_slot="report_photos")
    form.turn("[写真]", metadata={"photo_ids": [photo(settings, GPS)]})
    _, asked = form.act(ActionAskReportLocation(rt))
    assert "写真を撮った場所を使いますか？" in texts(asked)  # Tokyo: outside the city's areas
    assert [b["payload"] for b in asked[0]["buttons"]] == ["はい", "いいえ"]
    form.turn("いいえ", {"report_location": "いいえ"})
    assert form.slots["report_location"] is None
    _, asked = form.act(ActionAskReportLocation(rt), "いいえ")
    assert "写真を撮った場所" not in texts(asked) and "では、場所を教えてください" in texts(asked)
    _, said = form.turn("はい", {"report_location": "はい"})
    lat, lon, address = decode_location(form.slots["report_location"])
    assert (lat, lon, address) == (pytest.approx(GPS[0]), pytest.approx(GPS[1]), "写真を撮った場所")
    assert said == ["写真を撮った場所ですね。ありがとうございます。"]


def test_the_photos_place_is_named_from_the_citys_areas_not_coordinates(rt: Runtime) -> None:
    """Issue 17, item 18: 「写真の位置情報(39.70200, 140.10100 付近)を使いますか？」 meant little."""
    form = Form(rt)
    form.slots.update(report_category="road_damage", requested_slot="report_photos")
    form.turn("[写真]", metadata={"photo_ids": [photo(rt.settings, (39.7020, 140.1010))]})
    _, asked = form.act(ActionAskReportLocation(rt))
    assert texts(asked).startswith("写真を撮った場所(中央地区付近)を使いますか？")
    assert not re.search(r"\d{2,3}\.\d{3}", texts(asked))
    form.turn("はい", {"report_location": "はい"})
    assert decode_location(form.slots["report_location"])[2] == "写真を撮った場所(中央地区付近)"
    form.slots.update(report_description="穴", requested_slot="report_confirm")
    _, asked = form.act(ActionAskReportConfirm(rt))
    assert "場所: 写真を撮った場所(中央地区付近)(地図の位置つき)" in texts(asked)
    assert not re.search(r"\d{2,3}\.\d{3}", texts(asked))


def test_a_shared_location_is_acknowledged_before_the_next_question(rt: Runtime) -> None:
    """Issue 17, item 19: 「○○付近ですね」 before the description is asked for."""
    form = Form(rt)
    form.slots.update(report_category="road_damage", report_photos="skip", requested_slot="report_location")
    place = {"lat": 39.702, "lon": 140.101, "address": "日本、〒010-0001 秋田県秋田市中通2丁目"}
    _, said = form.turn("[位置情報]", {"report_location": "[位置情報]"}, metadata={"location": place})
    assert said == ["秋田県秋田市中通2丁目付近ですね。ありがとうございます。"]
    bare = Form(rt)
    bare.slots.update(report_category="road_damage", requested_slot="report_photos")
    _, said = bare.turn("[位置情報]", metadata={"location": {"lat": 39.702, "lon": 140.101, "address": ""}})
    assert said == ["中央地区付近ですね。ありがとうございます。"]  # no address: the city's area


def test_every_question_is_recorded_as_the_open_one_until_the_form_ends(rt: Runtime) -> None:
    """What the LINE channel repeats when a sticker or a video comes instead of an answer (items 15, 17)."""
    form = Form(rt)
    for action in (ActionAskReportCategory, ActionAskReportPhotos, ActionAskReportLocation):
        _, asked = form.act(action(rt))
        with rt.factory() as session:
            question = conversations.report_question(session, SENDER)
        assert question is not None and question["text"] == render(asked[0])  # as the resident read it
        assert asked[0]["response"].startswith("utter_ask_report_")
        assert question["buttons"] == (asked[0].get("buttons") or [])
    _, asked = form.act(ActionAskReportDescription(rt))
    with rt.factory() as session:
        assert conversations.report_question(session, SENDER) == {"text": render(asked[0]), "buttons": []}
    form.turn("キャンセル")
    with rt.factory() as session:
        assert conversations.report_question(session, SENDER) is None
    form.act(ActionAskReportPhotos(rt))
    form.act(ActionSubmitReport(rt), "はい")  # the form ended (here: without a confirmed report)
    with rt.factory() as session:
        assert conversations.report_question(session, SENDER) is None


def test_someone_elses_photo_is_ignored(rt: Runtime) -> None:
    settings = rt.settings
    form = Form(rt)
    form.slots.update(report_category="road_damage", requested_slot="report_photos")
    form.turn("[写真]", metadata={"photo_ids": [photo(settings, owner="line-someone-else"), "f" * 32]})
    assert form.slots["report_photos"] is None


def test_location_sent_at_the_photo_step_fills_both(rt: Runtime) -> None:
    form = Form(rt)
    form.slots.update(report_category="road_damage", requested_slot="report_photos")
    form.turn("[位置情報]", metadata={"location": {"lat": 35.1, "lon": 139.2, "address": None}})
    assert form.slots["report_photos"] == "skip" and form.slots["report_location"] == "35.100000,139.200000"


def test_urgent_hazard_gives_the_emergency_phone_first(rt: Runtime) -> None:
    form = Form(rt)
    _, said = form.turn("国道に大きな穴があいていて夜は危ない", {"report_category": "road_damage"})
    assert "000-0000-1190" in said[0] and "24時間" in said[0]
    assert "道路の穴・損傷" in said[1]  # the form goes on after the warning
    _, said = form.turn("大きな穴で国道の夜は真っ暗", {"report_photos": None})
    assert not any("000-0000-1190" in s for s in said)  # said once per report
    water = Form(rt)
    _, said = water.turn("道路から水が噴き出している", {"report_category": "other"})
    assert "000-0000-2190" in said[0]
    assert water.slots["report_category"] == "water_leak"
    tree = Form(rt)
    _, said = tree.turn("倒木で道がふさがっています", {"report_category": "other"})
    assert "000-0000-1190" in said[0] and tree.slots["report_category"] == "fallen_tree"
    calm = Form(rt)
    _, said = calm.turn("歩道に小さな穴があります", {"report_category": "road_damage"})
    assert not any("000-0000" in s for s in said)


def test_generic_report_asks_the_category_with_quick_replies(rt: Runtime) -> None:
    form = Form(rt)
    form.turn("通報したい", {"report_category": "other"})
    assert form.slots["report_category"] is None
    _, asked = form.act(ActionAskReportCategory(rt))
    assert [b["title"] for b in asked[0]["buttons"]] == [
        "道路の穴・損傷",
        "街路灯・カーブミラー",
        "公園の遊具・設備",
        "不法投棄",
        "水道の漏水",
        "倒木・枝",
        "その他",
    ]
    form.turn("よくわからないもの", {"report_category": "よくわからないもの"})
    assert form.slots["report_category"] == "other"


def test_validator_is_silent_when_called_for_slot_extraction(rt: Runtime) -> None:
    form = Form(rt)
    dispatcher = CollectingDispatcher()
    tracker = form.tracker(
        "国道に大きな穴", {"report_category": "road_damage"}, latest_action="action_listen"
    )
    assert asyncio.run(ValidateReportForm(rt).run(dispatcher, tracker, DOMAIN)) == []
    assert dispatcher.messages == []


def test_without_the_domain_a_question_is_asked_but_not_recorded(
    rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = Form(rt).tracker("", latest_action="action_listen")
    asyncio.run(ActionAskReportDescription(rt).run(dispatcher, tracker, {}))  # a selective-domain Rasa
    assert dispatcher.messages[0]["response"] == "utter_ask_report_description"
    with rt.factory() as session:
        assert conversations.report_question(session, SENDER) is None
    assert "open question not recorded" in caplog.text


def _interjected(form: Form, texts_asked: list[str]) -> Tracker:
    """The form's tracker after the resident asked `texts_asked`, each answered by the FAQ search, the form
    resuming (repeating its question) after each; the latest one is the message being validated now."""
    events = list(form.history)
    for text in texts_asked:
        events += [
            {"event": "user", "text": text},
            {"event": "action", "name": "action_search_faq"},
            {"event": "bot", "text": "（FAQ の答え）"},
            {"event": "action", "name": "report_form"},
        ]
    base = form.tracker(texts_asked[-1])
    return Tracker(
        sender_id=base.sender_id,
        slots=base.slots,
        latest_message=base.latest_message,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": "report_form"},
        latest_action_name="report_form",
    )


def test_three_messages_in_a_row_that_do_not_move_the_report_on_end_it(rt: Runtime) -> None:
    form = Form(rt)
    form.turn("道路に穴があいています", {"report_category": "road_damage"})
    asked = ["住民票はどこでとれますか", "ごみの日はいつ", "児童手当の申請は？"]
    assert turns_without_progress(_interjected(form, asked[:2])) == 2
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateReportForm(rt).run(dispatcher, _interjected(form, asked[:2]), DOMAIN))
    assert all(m.get("response") != "utter_report_paused" for m in dispatcher.messages)
    assert not any(e["event"] == "slot" and e["name"] == "requested_slot" for e in events)
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateReportForm(rt).run(dispatcher, _interjected(form, asked), DOMAIN))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_report_paused"]
    assert "通報したい" in texts(dispatcher.messages)
    ended = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert ended["requested_slot"] is None and ended["report_category"] is None
    # an answer the form took in between starts the count again
    form.turn("写真はありません")
    assert form.slots["report_photos"] == "skip"
    assert turns_without_progress(_interjected(form, asked[:1])) == 1
    # messages the form itself cannot use count too: the photo question asked three times is enough
    form.turn("えーと")
    form.turn("どうしよう")
    assert turns_without_progress(form.tracker("うーん")) == 3
