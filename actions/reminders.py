"""`action_subscribe_reminder` / `action_unsubscribe_reminder`: LINE pushes before collection day or after plowing."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq_answer import answer_sure_or_offer
from actions.garbage import ask_area, latest_text, resolve_area
from actions.runtime import RuntimeAction, message_metadata, meta
from bot.storage import citydata
from bot.storage.db import transaction

SNOW_WORDS = ("除雪", "じょせつ", "雪")
GARBAGE_WORDS = ("ごみ", "ゴミ", "収集")


# Words of a message about the reminders themselves (「通知を止めて」), not a question NLU took for one.
REMINDER_WORDS = ("通知", "お知らせ", "知らせて", "リマインド", "配信", "notif", "remind", "alert")


def about_reminders(text: str) -> bool:
    folded = text.lower()
    return reminder_kind(text) is not None or any(w in folded for w in REMINDER_WORDS)


def reminder_kind(text: str) -> str | None:
    if any(w in text for w in SNOW_WORDS):
        return "snowplow"
    if any(w in text for w in GARBAGE_WORDS):
        return "garbage"
    return None


class ActionSubscribeReminder(RuntimeAction):
    def name(self) -> str:
        return "action_subscribe_reminder"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        data, text = self.rt.city(), latest_text(tracker)
        # A question NLU took for a reminder request (it names neither garbage nor snow): the FAQ's answer when
        # the search is sure of one; its close entries when torn and the message does not even name reminders
        # (「特定検診の受け方」); else the reminder dialogue as asked.
        if reminder_kind(text) is None and answer_sure_or_offer(
            self.rt, dispatcher, tracker, offer=not about_reminders(text)
        ):
            return []
        kind = reminder_kind(text) or "garbage"
        md = message_metadata(tracker)
        resident_key = md.get("resident_key")  # the LINE worker's pseudonym of the resident: the push address
        if md.get("channel") != "line" or not resident_key:
            dispatcher.utter_message(response="utter_reminder_line_only", city=data.city.name)
            dispatcher.utter_message(json_message=meta(kind=kind))
            return []
        area, events = resolve_area(self.rt, tracker, data, text)
        if area is None:
            ask_area(dispatcher, data, "で通知して" if kind == "garbage" else "の除雪を通知して", kind)
            return events
        with transaction(self.rt.factory) as session:
            _, created = citydata.subscribe(session, sender=tracker.sender_id, sender_ref=str(resident_key),
                                            kind=kind, area=area)  # fmt: skip
        dispatcher.utter_message(
            response=f"utter_reminder_{'subscribed' if created else 'already_subscribed'}_{kind}",
            area=area,
            buttons=[{"title": "通知を停止", "payload": "通知を停止"}],
        )
        dispatcher.utter_message(json_message=meta(kind=kind))
        return events


class ActionUnsubscribeReminder(RuntimeAction):
    def name(self) -> str:
        return "action_unsubscribe_reminder"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = latest_text(tracker)
        kind = reminder_kind(text)
        # 「引っ越すので水道を止めたい」 is not "stop my reminders": a message that names no reminder is the FAQ's
        # when the search finds it (sure, or torn between entries), and nothing is unsubscribed.
        if not about_reminders(text) and answer_sure_or_offer(self.rt, dispatcher, tracker, offer=True):
            return []
        with transaction(self.rt.factory) as session:
            count = citydata.unsubscribe(session, sender=tracker.sender_id, kind=kind)
        dispatcher.utter_message(response="utter_reminder_stopped" if count else "utter_reminder_none")
        dispatcher.utter_message(json_message=meta(kind="snowplow" if kind == "snowplow" else "garbage"))
        return []
