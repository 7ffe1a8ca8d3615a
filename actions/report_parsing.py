"""What a report form understands in residents' words: skip/yes/no/cancel vocabulary, locations (typed,
shared or from a photo's GPS, named offline from the city's own area data), urgent hazards that need a phone
call, and the resident's own photos.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from bot.reports.photos import PhotoStore
from knowledge.snowplow import SnowplowArea, distance_m

log = logging.getLogger(__name__)

FORM = "report_form"
SLOTS = ("report_category", "report_photos", "report_location", "report_description", "report_confirm")
SKIP = "skip"
_PUNCT = re.compile(r"[\s。、.,!！?？ー〜~「」]+")
SKIP_WORDS = {
    "スキップ",
    "すきっぷ",
    "skip",
    "なし",
    "無し",
    "ない",
    "ないです",
    "ありません",
    "写真なし",
    "写真はなし",
    "写真ない",
    "写真はない",
    "写真はないです",
    "写真はありません",
    "写真がない",
    "写真がありません",
    "撮ってない",
    "撮っていません",
    "不要",
    "いらない",
    "わからない",
    "分からない",
    "不明",
}
CANCEL_WORDS = {
    "キャンセル",
    "きゃんせる",
    "やめる",
    "やめます",
    "やめて",
    "中止",
    "取り消し",
    "cancel",
    "stop",
    "通報をやめる",
    "やっぱりやめる",
}
YES_WORDS = {
    "はい",
    "はい通報する",
    "通報する",
    "うん",
    "ええ",
    "お願いします",
    "おねがいします",
    "送信",
    "送って",
    "ok",
    "okay",
    "yes",
    "それで",
    "それでいい",
    "大丈夫",
    "だいじょうぶ",
    "いいです",
    "はいこの場所",
}
NO_WORDS = {
    "いいえ",
    "いいえやめる",
    "いや",
    "いえ",
    "違う",
    "ちがう",
    "違います",
    "no",
    "別の場所",
    "ちがいます",
}
CASE_NUMBER = re.compile(r"R-\d{4}-\d{6}", re.IGNORECASE)
COORDS = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)(?:\s+(.*))?$", re.S)

# Dangerous right now: the 24h phone line comes before any form question.
_ROAD_HOLE = re.compile(r"(大きな穴|大きい穴|でかい穴|深い穴|陥没|大穴)")
_ROAD_WHERE = re.compile(r"(幹線|国道|県道|大通り|バイパス|夜|暗く|暗い|車がはま|事故|タイヤが落ち)")
_TREE = re.compile(r"(倒木|木が倒れ|木がたおれ|枝が落ち|電柱が倒れ)")
_BLOCKED = re.compile(r"(ふさが|塞が|ふさい|塞い|通れな|通行でき|通行止め|道をふさ|電線)")
_WATER = re.compile(
    r"(水が噴き出|水が吹き出|水がふきだ|水が噴出|噴き出して|吹き出して|噴水みたい|水道管が破裂|"
    r"水があふれ出|水が溢れ出|道路が水浸し)"
)


def normalize(text: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text or "").strip().lower())


def urgent_hazard(text: str) -> str | None:
    """ "road" / "water" when the words describe an immediate danger, else None."""
    t = unicodedata.normalize("NFKC", text or "")
    if _WATER.search(t):
        return "water"
    if (_ROAD_HOLE.search(t) and _ROAD_WHERE.search(t)) or (_TREE.search(t) and _BLOCKED.search(t)):
        return "road"
    return None


def encode_location(lat: float, lon: float, address: str = "") -> str:
    text = f"{lat:.6f},{lon:.6f}"
    address = (address or "").strip().replace("\n", " ")[:200]
    return f"{text} {address}" if address else text


def decode_location(value: Any) -> tuple[float | None, float | None, str]:
    """(lat, lon, address text) from a `report_location` slot value."""
    if not isinstance(value, str) or not value or value == SKIP:
        return None, None, ""
    m = COORDS.match(value)
    if m:
        lat, lon = float(m.group(1)), float(m.group(2))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return lat, lon, (m.group(3) or "").strip()
    return None, None, value.strip()


def location_from_metadata(metadata: dict[str, Any]) -> str | None:
    loc = metadata.get("location")
    if not isinstance(loc, dict):
        return None
    try:
        lat, lon = float(loc["lat"]), float(loc["lon"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return encode_location(lat, lon, str(loc.get("address") or ""))


PHOTO_PLACE = "写真を撮った場所"
NEAR_M = 1500.0  # an area centre this close names a point outside every area (「…付近」)
_POSTCODE = re.compile(r"^(日本[、,]\s*)?(〒\s*\d{3}-?\d{4}\s*)?")


def place_near(areas: Iterable[SnowplowArea], lat: float, lon: float) -> str | None:
    """The city's own name for a point, offline: the area (the city's area data: name, centre, radius or
    polygon) that contains it, else the one whose centre is nearest within `NEAR_M`; None when none is."""
    nearest: tuple[float, str] | None = None
    for area in areas:
        if area.contains(lat, lon):
            return area.name
        metres = distance_m(area.lat, area.lon, lat, lon)
        if metres <= NEAR_M and (nearest is None or metres < nearest[0]):
            nearest = (metres, area.name)
    return nearest[1] if nearest else None


def short_address(address: str) -> str:
    """A LINE location's address as a resident says it (no 「日本、」, no postcode)."""
    return _POSTCODE.sub("", " ".join((address or "").split())).strip()


def describe_location(value: Any) -> str:
    """The place for the resident's confirmation: words, never raw coordinates."""
    lat, lon, address = decode_location(value)
    if lat is not None and lon is not None:
        return f"{address}(地図の位置つき)" if address else "地図で送っていただいた場所"
    return address or "(指定なし)"


def own_photos(store: PhotoStore, ids: Any, resident_key: str) -> list[str]:
    """The ids that name stored photos this resident may use (unknown or someone else's are dropped)."""
    if not isinstance(ids, list):
        return []
    good = []
    for photo_id in ids:
        info = store.info(photo_id) if isinstance(photo_id, str) else None
        if info is not None and info.get("owner") in (None, resident_key) and photo_id not in good:
            good.append(photo_id)
    return good


def photo_gps(store: PhotoStore, photos: Any) -> tuple[float, float] | None:
    if not isinstance(photos, list):
        return None
    return next((gps for gps in (store.gps_of(p) for p in photos) if gps), None)


def reset_events() -> list[dict[str, Any]]:
    return [SlotSet(name, None) for name in SLOTS] + [SlotSet("requested_slot", None)]


def turns_without_progress(tracker: Tracker) -> int:
    """How many of the resident's latest messages in a row left the form where it was: none of them filled a
    slot of the report (another action answered it — a FAQ question, a garbage day — or the form could not use
    it and asked again). Counted back to the form's start; this turn's slot candidates count as progress."""
    count, progressed = 0, False
    for event in reversed(tracker.events or []):
        kind = event.get("event")
        if kind == "slot" and event.get("name") in SLOTS and event.get("value") is not None:
            progressed = True
        elif kind == "user":
            if progressed:
                return count
            count, progressed = count + 1, False
        elif kind == "active_loop" and event.get("name") == FORM:
            return count
    return count


def emergency_response(kind: str) -> str:
    """The domain.yml response that gives the 24-hour emergency number of a hazard (`{phone}`)."""
    return f"utter_report_emergency_{'water' if kind == 'water' else 'road'}"


def warned_in_this_form(tracker: Tracker, kind: str, phone: str) -> bool:
    """Whether this form already gave the emergency number of the hazard (its response, or the number)."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "active_loop" and event.get("name") == FORM:
            return False
        if event.get("event") == "bot":
            said = (event.get("metadata") or {}).get("utter_action")
            if said == emergency_response(kind) or phone in (event.get("text") or ""):
                return True
    return False


def previous_slot(tracker: Tracker, name: str) -> Any:
    """The value a slot had before the latest user message (candidates of this turn come after it)."""
    seen_user = False
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == name:
            return event.get("value")
    return None


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""
