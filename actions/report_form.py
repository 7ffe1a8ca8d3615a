"""The report form: `validate_report_form` and the form's questions (`action_ask_report_<slot>`, one per slot).

Slot values (docs/contracts.md): `report_category` a category code (bot/reports/categories.py);
`report_photos` a list of photo ids or "skip"; `report_location` "lat,lon" optionally followed by a space and
the address/landmark, or the typed address, or "skip"; `report_description` text; `report_confirm` "yes"/"no".
What happens once the form is done is in `actions/reports.py`.

Every question is also recorded as the form's open question (`conversations.set_report_question`, cleared
when the form ends), so a channel can repeat it, buttons included, when the resident sends something the form
cannot use (a sticker, a video). A place is named in words, never as raw coordinates: the city's own area for a
photo's position (offline, `report_parsing.place_near`), LINE's address for a shared location, acknowledged
(「○○付近ですね」) before the next question.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq_answer import answer_before_report
from actions.report_parsing import (
    CANCEL_WORDS,
    COORDS,
    FORM,
    NO_WORDS,
    PHOTO_PLACE,
    SKIP,
    SKIP_WORDS,
    YES_WORDS,
    decode_location,
    describe_location,
    emergency_response,
    encode_location,
    latest_text,
    location_from_metadata,
    normalize,
    own_photos,
    photo_gps,
    place_near,
    previous_slot,
    reset_events,
    short_address,
    turns_without_progress,
    urgent_hazard,
    warned_in_this_form,
)
from actions.runtime import Runtime, RuntimeAction, message_metadata, render_response
from bot.reports.categories import OTHER
from bot.reports.service import MAX_PHOTOS
from bot.storage import conversations
from bot.storage.db import transaction

log = logging.getLogger(__name__)

CANCELLED = "utter_report_cancelled"  # the domain.yml response
PAUSED = "utter_report_paused"
# A resident whose last this-many messages in a row did not move the report on (other questions, or answers the
# form cannot use) has moved on: the form ends, saying how to start again, instead of repeating its question
# after every message for as long as the conversation lasts.
MESSAGES_WITHOUT_PROGRESS = 3


def ask(
    rt: Runtime,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: dict[str, Any],
    question: tuple[str, dict[str, Any]],
    buttons: list[dict[str, str]],
) -> None:
    """Ask one of the form's questions (a domain.yml response and its placeholders), and record it, as the
    resident reads it, as the form's open question."""
    name, fill = question
    dispatcher.utter_message(response=name, buttons=buttons or None, **fill)
    text = render_response(domain, name, **fill)
    if text is None:  # Rasa sent no domain (selective domain): the question is asked, but not recorded
        log.warning("report form: no response %s in the domain; open question not recorded", name)
        return
    try:
        with transaction(rt.factory) as session:
            conversations.set_report_question(session, tracker.sender_id, text, buttons)
    except Exception:  # the question is asked all the same; only a sticker's reminder would miss it
        log.warning("report form: open question not recorded", exc_info=True)


def form_ended(rt: Runtime, tracker: Tracker) -> None:
    """The form is over (submitted, declined, cancelled): no open question any more."""
    try:
        with transaction(rt.factory) as session:
            conversations.clear_report_question(session, tracker.sender_id)
    except Exception:
        log.warning("report form: open question not cleared", exc_info=True)


def place_of(rt: Runtime, lat: float, lon: float) -> str | None:
    """The city's own name for the point (its area data), or None."""
    try:
        return place_near(rt.city().snowplow_areas, lat, lon)
    except Exception:  # city data unreadable: the place is still 「写真を撮った場所」
        log.warning("report form: no area data to name a place", exc_info=True)
        return None


def photo_place(rt: Runtime, gps: tuple[float, float]) -> str:
    place = place_of(rt, gps[0], gps[1])
    return f"{PHOTO_PLACE}({place}付近)" if place else PHOTO_PLACE


def acknowledge(rt: Runtime, dispatcher: CollectingDispatcher, location: str) -> None:
    """「○○付近ですね」 for a place the resident shared on a map."""
    lat, lon, address = decode_location(location)
    if lat is None or lon is None:
        return
    name = short_address(address) or place_of(rt, lat, lon)
    if name:
        dispatcher.utter_message(response="utter_report_location_near", place=name)
    else:
        dispatcher.utter_message(response="utter_report_location_shared")


class ValidateReportForm(FormValidationAction):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def name(self) -> str:
        return "validate_report_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # Rasa also calls this action from `action_extract_slots` (custom slot mapping) on every user turn;
        # everything happens once, when the form itself asks (latest action = the form).
        if tracker.latest_action_name != FORM:
            return []
        text = latest_text(tracker)
        if normalize(text) in CANCEL_WORDS:
            dispatcher.utter_message(response=CANCELLED)
            form_ended(self.rt, tracker)
            return reset_events()
        if turns_without_progress(tracker) >= MESSAGES_WITHOUT_PROGRESS:
            dispatcher.utter_message(response=PAUSED)
            form_ended(self.rt, tracker)
            return reset_events()
        hazard = urgent_hazard(text)
        if hazard:
            s = self.rt.settings
            phone = s.water_emergency_phone if hazard == "water" else s.road_emergency_phone
            if not warned_in_this_form(tracker, hazard, phone):
                dispatcher.utter_message(response=emergency_response(hazard), phone=phone)
        return await super().run(dispatcher, tracker, domain)

    # --- category ---------------------------------------------------------------------------------
    def validate_report_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        table = self.rt.categories()
        requested = tracker.get_slot("requested_slot")
        previous = previous_slot(tracker, "report_category")
        if requested not in (None, "report_category") and previous:
            return {"report_category": previous}  # a later answer sounded like a report intent: keep the kind
        asked = requested == "report_category"
        match = table.match_text(latest_text(tracker))
        if match is not None and match.code != OTHER:
            code = match.code
        elif isinstance(value, str) and table.known(value) and value != OTHER:
            code = value
        elif asked:
            code = match.code if match else OTHER  # free text that fits nothing is その他
        else:
            return {"report_category": None}  # a generic "通報したい": ask which kind
        dispatcher.utter_message(response="utter_report_category_taken", category=table.get(code).label)
        return {"report_category": code}

    # --- photos -----------------------------------------------------------------------------------
    def extract_report_photos(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        metadata = message_metadata(tracker)
        ids = metadata.get("photo_ids")
        current = tracker.get_slot("report_photos")
        if ids and requested in ("report_photos", "report_location", "report_description"):
            existing = current if isinstance(current, list) else []
            merged = list(dict.fromkeys(existing + own_photos(self.rt.photos(), ids, tracker.sender_id)))
            if not merged:
                dispatcher.utter_message(response="utter_report_photo_unreadable")
                return {"report_photos": None} if requested == "report_photos" else {}
            if len(merged) > MAX_PHOTOS:
                dispatcher.utter_message(response="utter_report_photos_too_many", max=MAX_PHOTOS)
            return {"report_photos": merged[:MAX_PHOTOS]}
        if requested != "report_photos":
            return {}
        location = location_from_metadata(metadata)
        if location:  # a position instead of a photo: no photo, and the place is known (acknowledged there)
            return {"report_photos": SKIP, "report_location": location}
        if normalize(latest_text(tracker)) in SKIP_WORDS:
            return {"report_photos": SKIP}
        dispatcher.utter_message(response="utter_report_photo_wanted")
        return {"report_photos": None}

    def validate_report_photos(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value == SKIP:
            return {"report_photos": SKIP}
        if isinstance(value, str) and normalize(value) in SKIP_WORDS:  # a from_text mapping
            return {"report_photos": SKIP}
        if isinstance(value, list):
            photos = own_photos(self.rt.photos(), value, tracker.sender_id)[:MAX_PHOTOS]
            if photos:
                dispatcher.utter_message(response="utter_report_photos_received", count=len(photos))
                return {"report_photos": photos}
        return {"report_photos": None}

    # --- location ---------------------------------------------------------------------------------
    def validate_report_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        metadata = message_metadata(tracker)
        location = location_from_metadata(metadata)
        if location:
            acknowledge(self.rt, dispatcher, location)
            return {"report_location": location}
        if metadata.get("photo_ids"):
            return {"report_location": None}  # a photo turn, handled by the photo slot; ask the place again
        if isinstance(value, str) and COORDS.match(value) and decode_location(value)[0] is not None:
            return {"report_location": value}
        word = normalize(value if isinstance(value, str) else "")
        if word in SKIP_WORDS:
            return {"report_location": SKIP}
        if word in YES_WORDS:
            gps = photo_gps(self.rt.photos(), tracker.get_slot("report_photos"))
            if gps:
                place = photo_place(self.rt, gps)
                dispatcher.utter_message(response="utter_report_location_photo", place=place)
                return {"report_location": encode_location(gps[0], gps[1], place)}
            return {"report_location": None}
        if word in NO_WORDS:
            return {"report_location": None}  # the question comes again, without the photo's position
        if len(word) < 2:
            dispatcher.utter_message(response="utter_report_location_vague")
            return {"report_location": None}
        return {"report_location": str(value).strip()[:200]}

    # --- description ------------------------------------------------------------------------------
    def validate_report_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if message_metadata(tracker).get("photo_ids"):
            return {"report_description": None}
        text = str(value or "").strip()
        if len(normalize(text)) < 2:
            dispatcher.utter_message(response="utter_report_description_short")
            return {"report_description": None}
        return {"report_description": text[:1000]}

    # --- confirmation -----------------------------------------------------------------------------
    def validate_report_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        word = normalize(str(value or ""))
        if word in YES_WORDS or word.startswith("はい"):
            return {"report_confirm": "yes"}
        if word in NO_WORDS or word.startswith("いいえ"):
            return {"report_confirm": "no"}
        dispatcher.utter_message(response="utter_report_yes_or_no")
        return {"report_confirm": None}


class ActionAskReportCategory(RuntimeAction):
    def name(self) -> str:
        return "action_ask_report_category"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # a form started by a message NLU could not place (report_other) asks the category first: the FAQ's sure
        # answer comes before it too (「がいとうが きれてる」: whom the city asks to call)
        answer_before_report(self.rt, dispatcher, tracker, FORM)
        buttons = [{"title": c.label, "payload": c.label} for c in self.rt.categories().categories]
        ask(self.rt, dispatcher, tracker, domain, ("utter_ask_report_category", {}), buttons)
        return []


class ActionAskReportPhotos(RuntimeAction):
    def name(self) -> str:
        return "action_ask_report_photos"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        answer_before_report(self.rt, dispatcher, tracker, FORM)
        question = ("utter_ask_report_photos", {"max": MAX_PHOTOS})
        ask(self.rt, dispatcher, tracker, domain, question, [{"title": "スキップ", "payload": "スキップ"}])
        return []


class ActionAskReportLocation(RuntimeAction):
    def name(self) -> str:
        return "action_ask_report_location"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        declined = normalize(latest_text(tracker)) in NO_WORDS
        gps = None if declined else photo_gps(self.rt.photos(), tracker.get_slot("report_photos"))
        if gps:
            question = ("utter_ask_report_location_photo", {"place": photo_place(self.rt, gps)})
            buttons = [
                {"title": "はい、この場所", "payload": "はい"},
                {"title": "いいえ", "payload": "いいえ"},
            ]
            ask(self.rt, dispatcher, tracker, domain, question, buttons)
            return []
        name = "utter_ask_report_location_other" if declined else "utter_ask_report_location"
        ask(self.rt, dispatcher, tracker, domain, (name, {}), [{"title": "スキップ", "payload": "スキップ"}])
        return []


class ActionAskReportDescription(RuntimeAction):
    def name(self) -> str:
        return "action_ask_report_description"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        ask(self.rt, dispatcher, tracker, domain, ("utter_ask_report_description", {}), [])
        return []


class ActionAskReportConfirm(RuntimeAction):
    def name(self) -> str:
        return "action_ask_report_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        cat = self.rt.categories().get(tracker.get_slot("report_category"))
        photos = tracker.get_slot("report_photos")
        count = len(photos) if isinstance(photos, list) else 0
        summary = (
            "utter_ask_report_confirm" if count else "utter_ask_report_confirm_no_photo",
            {
                "category": cat.label,
                "location": describe_location(tracker.get_slot("report_location")),
                "count": count,
                "description": tracker.get_slot("report_description") or "",
                "department": cat.department,
            },
        )
        buttons = [
            {"title": "はい、通報する", "payload": "はい"},
            {"title": "いいえ、やめる", "payload": "いいえ"},
        ]
        ask(self.rt, dispatcher, tracker, domain, summary, buttons)
        return []
