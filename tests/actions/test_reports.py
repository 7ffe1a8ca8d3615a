"""The report form's actions with rasa-sdk's CollectingDispatcher and Tracker, turn by turn.

Each turn is built the way Rasa 3.6 calls the validator from the form: latest action = report_form, and this
turn's slot candidates as trailing slot events.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import ExifTags, Image
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import reports as ra
from actions.runtime import Runtime, install
from bot.reports.photos import PhotoStore
from bot.reports.service import change_status
from bot.settings import Settings, load_settings
from bot.storage import reports as repo
from bot.storage.db import make_engine, migrate, session_factory
from bot.storage.reports import Report

SENDER = "line-0123456789abcdef"
DOMAIN: dict[str, Any] = {"forms": {"report_form": {"required_slots": list(ra.SLOTS)}}, "slots": {}}
GPS = (35.6812, 139.7671)


@pytest.fixture
def env(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = load_settings(
        data_dir=tmp_path / "var",
        embedder="hashing",
        env="test",
        secret_key="test-secret-key-not-for-production",
        road_emergency_phone="000-0000-1190",
        water_emergency_phone="000-0000-2190",
    )
    settings.ensure_dirs()
    migrate(settings.db_url)
    engine = make_engine(settings.db_url)
    factory = session_factory(engine)
    install(Runtime(settings=settings, factory=factory, searcher=None))  # type: ignore[arg-type]
    yield settings, factory
    engine.dispose()


def photo(settings: Settings, gps: tuple[float, float] | None = None, owner: str = SENDER) -> str:
    image = Image.new("RGB", (16, 16), (10, 120, 10))
    exif = Image.Exif()
    if gps:
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[ExifTags.GPS.GPSLatitudeRef], info[ExifTags.GPS.GPSLatitude] = "N", (gps[0], 0.0, 0.0)
        info[ExifTags.GPS.GPSLongitudeRef], info[ExifTags.GPS.GPSLongitude] = "E", (gps[1], 0.0, 0.0)
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif)
    return PhotoStore.from_settings(settings).store_photo(buf.getvalue(), "image/jpeg", owner=owner).photo_id


class Form:
    """Carries the slots from turn to turn like Rasa does."""

    def __init__(self, sender: str = SENDER) -> None:
        self.sender = sender
        self.slots: dict[str, Any] = {name: None for name in ra.SLOTS} | {"requested_slot": None}
        self.history: list[dict[str, Any]] = [{"event": "active_loop", "name": "report_form"}]

    def tracker(
        self,
        text: str,
        candidates: dict[str, Any] | None = None,
        metadata: dict | None = None,
        latest_action: str = "report_form",
    ) -> Tracker:
        candidates = candidates or {}
        events = [*self.history, {"event": "user", "text": text}, {"event": "action", "name": latest_action}]
        events += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
        return Tracker(
            sender_id=self.sender,
            slots={**self.slots, **candidates},
            latest_message={
                "text": text,
                "intent": {},
                "entities": [],
                "metadata": {"channel": "line", "sender_ref": "ref-9", **(metadata or {})},
            },
            events=events,
            paused=False,
            followup_action=None,
            active_loop={"name": "report_form"},
            latest_action_name=latest_action,
        )

    def turn(
        self, text: str, candidates: dict[str, Any] | None = None, metadata: dict | None = None
    ) -> tuple[list[dict], list[str]]:
        """Run the validator for one user message, apply its SlotSets, return (events, texts)."""
        dispatcher = CollectingDispatcher()
        events = asyncio.run(
            ra.ValidateReportForm().run(dispatcher, self.tracker(text, candidates, metadata), DOMAIN)
        )
        for event in events:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
        self.history += [{"event": "user", "text": text}]
        self.history += [{"event": "bot", "text": m.get("text")} for m in dispatcher.messages]
        self.history += [e for e in events if e["event"] == "slot"]
        # the form asks for the first empty slot next, unless the validator ended the form
        if not any(e["event"] == "slot" and e["name"] == "requested_slot" for e in events):
            self.slots["requested_slot"] = next((s for s in ra.SLOTS if self.slots[s] is None), None)
        return events, [m["text"] for m in dispatcher.messages if m.get("text")]

    def act(
        self, action: Action, text: str = "", metadata: dict | None = None
    ) -> tuple[list[dict], list[dict]]:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(
            action.run(
                dispatcher, self.tracker(text, metadata=metadata, latest_action="action_listen"), DOMAIN
            )
        )
        return events, dispatcher.messages


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def metas(messages: list[dict]) -> list[dict]:
    return [m["custom"]["madoguchi"] for m in messages if "madoguchi" in (m.get("custom") or {})]


def test_happy_path_with_photo_and_location(env) -> None:  # type: ignore[no-untyped-def]
    settings, factory = env
    form = Form()
    _, said = form.turn("道路に穴があいています", {"report_category": "road_damage"})
    assert form.slots["report_category"] == "road_damage" and "道路の穴・損傷" in said[0]
    pid = photo(settings)
    form.turn("[写真]", metadata={"photo_ids": [pid]})
    assert form.slots["report_photos"] == [pid]
    _, said = form.turn(
        "[位置情報]",
        {"report_location": "[位置情報]"},
        metadata={"location": {"lat": 35.6895, "lon": 139.6917, "address": "中央町3丁目"}},
    )
    assert form.slots["report_location"] == "35.689500,139.691700 中央町3丁目"
    form.turn("幅50センチほどの穴があいている", {"report_description": "幅50センチほどの穴があいている"})
    _, asked = form.act(ra.ActionAskReportConfirm())
    summary = texts(asked)
    for part in ("道路の穴・損傷", "中央町3丁目", "写真: 1枚", "幅50センチ", "道路維持課", "よろしいですか"):
        assert part in summary
    assert [b["payload"] for b in asked[0]["buttons"]] == ["はい", "いいえ"]
    form.turn("はい", {"report_confirm": "はい"})
    assert form.slots["report_confirm"] == "yes"
    events, said = form.act(ra.ActionSubmitReport(), "はい")
    assert "受付番号: R-" in texts(said) and "このLINEでお知らせします" in texts(said)
    (meta,) = metas(said)
    assert meta["kind"] == "report" and meta["report_id"].startswith("R-")
    assert {"event": "slot", "timestamp": None, "name": "report_confirm", "value": None} in events
    with factory() as session:
        report = repo.get_by_case_number(session, meta["report_id"])
        assert (report.lat, report.lon, report.address_text) == (35.6895, 139.6917, "中央町3丁目")
        assert (report.reporter, report.reporter_ref, report.channel) == (SENDER, "ref-9", "line")
        assert [p.photo_id for p in repo.photos_of(session, report.id)] == [pid]


def test_skip_photo_and_typed_address(env) -> None:  # type: ignore[no-untyped-def]
    form = Form()
    form.slots["requested_slot"] = "report_category"
    form.turn("街灯が切れている", {"report_category": "街灯が切れている"})
    assert form.slots["report_category"] == "street_light"
    form.turn("スキップ")
    assert form.slots["report_photos"] == "skip"
    _, asked = form.act(ra.ActionAskReportLocation())
    assert "場所を教えてください" in texts(asked) and "写真の位置情報" not in texts(asked)
    form.turn("駅前のローソンの角", {"report_location": "駅前のローソンの角"})
    assert form.slots["report_location"] == "駅前のローソンの角"


def test_text_instead_of_photo_asks_again(env) -> None:  # type: ignore[no-untyped-def]
    form = Form()
    form.slots.update(report_category="road_damage", requested_slot="report_photos")
    events, said = form.turn("えーと")
    assert form.slots["report_photos"] is None and "スキップ" in said[0]


def test_photo_gps_is_offered_and_used(env) -> None:  # type: ignore[no-untyped-def]
    settings, _ = env
    form = Form()
    form.slots.update(report_category="road_damage", requested_slot="report_photos")
    form.turn("[写真]", metadata={"photo_ids": [photo(settings, GPS)]})
    _, asked = form.act(ra.ActionAskReportLocation())
    assert "写真の位置情報(35.68120, 139.76710 付近)を使いますか？" in texts(asked)
    assert [b["payload"] for b in asked[0]["buttons"]] == ["はい", "いいえ"]
    form.turn("いいえ", {"report_location": "いいえ"})
    assert form.slots["report_location"] is None
    _, asked = form.act(ra.ActionAskReportLocation(), "いいえ")
    assert "写真の位置情報" not in texts(asked) and "では、場所を教えてください" in texts(asked)
    form.turn("はい", {"report_location": "はい"})
    lat, lon, address = ra.decode_location(form.slots["report_location"])
    assert (lat, lon, address) == (pytest.approx(GPS[0]), pytest.approx(GPS[1]), "写真の位置情報")


def test_someone_elses_photo_is_ignored(env) -> None:  # type: ignore[no-untyped-def]
    settings, _ = env
    form = Form()
    form.slots.update(report_category="road_damage", requested_slot="report_photos")
    form.turn("[写真]", metadata={"photo_ids": [photo(settings, owner="line-someone-else"), "f" * 32]})
    assert form.slots["report_photos"] is None


def test_location_sent_at_the_photo_step_fills_both(env) -> None:  # type: ignore[no-untyped-def]
    form = Form()
    form.slots.update(report_category="road_damage", requested_slot="report_photos")
    form.turn("[位置情報]", metadata={"location": {"lat": 35.1, "lon": 139.2, "address": None}})
    assert form.slots["report_photos"] == "skip" and form.slots["report_location"] == "35.100000,139.200000"


def test_cancel_at_any_step_saves_nothing(env) -> None:  # type: ignore[no-untyped-def]
    _, factory = env
    form = Form()
    form.slots.update(report_category="road_damage", report_photos="skip", requested_slot="report_location")
    events, said = form.turn("キャンセル", {"report_location": "キャンセル"})
    assert "取りやめました" in said[0]
    assert all(form.slots[s] is None for s in ra.SLOTS) and form.slots["requested_slot"] is None
    events, said = form.act(ra.ActionSubmitReport())  # the form ended: the submit rule runs, silently
    assert said == []
    form.slots.update(report_category="road_damage")
    events, said = form.act(ra.ActionCancelForm(), "やめる")
    assert {"event": "active_loop", "timestamp": None, "name": None} in events
    assert "保存していません" in texts(said)
    with factory() as session:
        assert session.query(Report).count() == 0


def test_no_at_confirmation_sends_nothing(env) -> None:  # type: ignore[no-untyped-def]
    _, factory = env
    form = Form()
    form.slots.update(
        report_category="other",
        report_photos="skip",
        report_location="skip",
        report_description="看板が落ちそう",
        requested_slot="report_confirm",
    )
    form.turn("いいえ", {"report_confirm": "いいえ"})
    assert form.slots["report_confirm"] == "no"
    _, said = form.act(ra.ActionSubmitReport(), "いいえ")
    assert "取りやめました" in texts(said) and "送信していません" in texts(said)
    with factory() as session:
        assert session.query(Report).count() == 0


def test_urgent_hazard_gives_the_emergency_phone_first(env) -> None:  # type: ignore[no-untyped-def]
    form = Form()
    _, said = form.turn("国道に大きな穴があいていて夜は危ない", {"report_category": "road_damage"})
    assert "000-0000-1190" in said[0] and "24時間" in said[0]
    assert "道路の穴・損傷" in said[1]  # the form goes on after the warning
    _, said = form.turn("大きな穴で国道の夜は真っ暗", {"report_photos": None})
    assert not any("000-0000-1190" in s for s in said)  # said once per report
    water = Form()
    _, said = water.turn("道路から水が噴き出している", {"report_category": "other"})
    assert "000-0000-2190" in said[0]
    assert water.slots["report_category"] == "water_leak"
    tree = Form()
    _, said = tree.turn("倒木で道がふさがっています", {"report_category": "other"})
    assert "000-0000-1190" in said[0] and tree.slots["report_category"] == "fallen_tree"
    calm = Form()
    _, said = calm.turn("歩道に小さな穴があります", {"report_category": "road_damage"})
    assert not any("000-0000" in s for s in said)


def test_generic_report_asks_the_category_with_quick_replies(env) -> None:  # type: ignore[no-untyped-def]
    form = Form()
    form.turn("通報したい", {"report_category": "other"})
    assert form.slots["report_category"] is None
    _, asked = form.act(ra.ActionAskReportCategory())
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


def test_validator_is_silent_when_called_for_slot_extraction(env) -> None:  # type: ignore[no-untyped-def]
    form = Form()
    dispatcher = CollectingDispatcher()
    tracker = form.tracker(
        "国道に大きな穴", {"report_category": "road_damage"}, latest_action="action_listen"
    )
    assert asyncio.run(ra.ValidateReportForm().run(dispatcher, tracker, DOMAIN)) == []
    assert dispatcher.messages == []


def test_status_query_lists_own_cases_with_latest_note(env) -> None:  # type: ignore[no-untyped-def]
    settings, factory = env
    form = Form()
    form.slots.update(
        report_category="road_damage",
        report_photos="skip",
        report_location="中央町",
        report_description="穴",
        report_confirm="yes",
    )
    _, said = form.act(ra.ActionSubmitReport(), "はい")
    case = metas(said)[0]["report_id"]
    with factory() as session:
        rid = repo.get_by_case_number(session, case).id
    change_status(factory, rid, "対応予定", actor="tanaka", note="6月10日に補修します")
    _, said = Form().act(ra.ActionReportStatus(), "私の通報はどうなった?")
    out = texts(said)
    assert case in out and "状況: 対応予定" in out and "お知らせ: 6月10日に補修します" in out
    _, said = Form().act(ra.ActionReportStatus(), f"{case}の状況")
    assert case in texts(said) and metas(said)[0]["report_id"] == case
    _, said = Form(sender="line-someone-else").act(ra.ActionReportStatus(), "私の通報はどうなった?")
    assert case not in texts(said) and "見つかりませんでした" in texts(said)
    _, said = Form(sender="line-someone-else").act(ra.ActionReportStatus(), f"{case}はどうなった")
    assert "見つかりませんでした" in texts(said)


def test_probable_duplicate_is_mentioned_and_still_accepted(env) -> None:  # type: ignore[no-untyped-def]
    first = Form()
    first.slots.update(
        report_category="road_damage",
        report_photos="skip",
        report_location="35.681200,139.767100",
        report_description="穴",
        report_confirm="yes",
    )
    _, said = first.act(ra.ActionSubmitReport(), "はい")
    case = metas(said)[0]["report_id"]
    second = Form(sender="line-neighbour")
    second.slots.update(
        report_category="road_damage",
        report_photos="skip",
        report_location="35.681300,139.767100 同じ交差点",
        report_description="穴がある",
        report_confirm="yes",
    )
    _, said = second.act(ra.ActionSubmitReport(), "はい")
    assert f"同じような通報(受付番号 {case})" in texts(said) and metas(said)[0]["report_id"] != case


def test_missing_photo_is_reported_to_staff(env) -> None:  # type: ignore[no-untyped-def]
    settings, factory = env
    pid = photo(settings)
    (PhotoStore.from_settings(settings).root / f"{pid}.jpg").unlink()  # lost on disk before submit
    form = Form()
    form.slots.update(
        report_category="road_damage",
        report_photos=[pid],
        report_location="skip",
        report_description="穴",
        report_confirm="yes",
    )
    _, said = form.act(ra.ActionSubmitReport(), "はい")
    assert "写真なしで受け付けました" in texts(said)
    with factory() as session:
        assert repo.open_alert_counts(session) == {"report_photo_missing": 1}


def test_database_outage_spools_the_report(env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    settings, _ = env

    def down(*args: Any, **kwargs: Any) -> None:
        raise OSError("database is down")

    monkeypatch.setattr(ra, "submit_report", down)
    form = Form()
    form.slots.update(
        report_category="road_damage",
        report_photos="skip",
        report_location="skip",
        report_description="穴",
        report_confirm="yes",
    )
    _, said = form.act(ra.ActionSubmitReport(), "はい")
    assert "内容は保存しました" in texts(said)
    assert len(list((settings.data_dir / "spool" / "reports").glob("*.json"))) == 1
