"""`action_search_faq`: answer from the FAQ when sure, offer choices when torn, otherwise say so honestly.
`action_human_contact`: the counter to ask a person.

`action_search_faq` is the door of the intent `ask_city_service` and of `nlu_fallback` (data/rules/city_service.yml).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import garbage, snowplow
from actions.faq_answer import Question, answer
from actions.runtime import Runtime, RuntimeAction, meta
from bot.storage import conversations
from bot.storage.db import transaction
from knowledge.search import Hit, SearchOutcome
from knowledge.snowplow import match_area

LABEL_MAX = 20  # LINE quick-reply label limit
HUMAN_LABEL = "担当者に問い合わせたい"


def short_label(text: str) -> str:
    text = text.strip()
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def area_answer(rt: Runtime, tracker: Tracker) -> Action | None:
    """The action an unclear message is really for when it names an area right after the bot asked for one
    (garbage days or snow clearing: 「お住まいの地区を教えてください」→「本町です」), else None."""
    text = (tracker.latest_message or {}).get("text") or ""
    _question, said = garbage.last_exchange(tracker)
    if not said:
        return None
    data = rt.city()
    if garbage.AREA_QUESTION in said and data.garbage.match_area(text):
        return garbage.ActionGarbageDay(rt)
    if snowplow.AREA_QUESTION in said and match_area(data.snowplow_areas, text) is not None:
        return snowplow.ActionSnowplow(rt)
    return None


class ActionSearchFaq(RuntimeAction):
    def name(self) -> str:
        return "action_search_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # Pre-dispatch, here on purpose: NLU has no intent for a bare place name, so 「本町です」 lands in this
        # action. Right after the bot asked for an area (garbage days, snow clearing), the action that asked
        # answers it instead of the FAQ search. No rule can say this: it depends on what the bot last said.
        meant = area_answer(self.rt, tracker)
        if meant is not None:
            return await meant.run(dispatcher, tracker, domain)
        question = Question.of(tracker)
        outcome = self.rt.searcher.search(
            question.text, k=3, strict=question.strict, today=self.rt.clock.today()
        )
        answered = outcome.decision == "answer" and outcome.hits
        if answered and answer(self.rt, dispatcher, outcome.hits[0], question):
            return []
        torn = outcome.decision == "choose" and len(outcome.hits) >= 2
        self.log_unanswered(tracker, question, outcome, "choose" if torn else "unknown")
        if torn:
            self.choose(dispatcher, outcome.hits[:3], question)
        else:
            self.unknown(dispatcher, question)
        return []

    def log_unanswered(
        self, tracker: Tracker, question: Question, outcome: SearchOutcome, reason: str
    ) -> None:
        """Staff see both: what was offered, and what found nothing."""
        candidates = [{"faq_id": h.faq_id, "score": round(float(h.score), 4)} for h in outcome.hits]
        top = float(outcome.hits[0].score) if outcome.hits else 0.0
        with transaction(self.rt.factory) as session:
            conversations.log_unanswered(
                session,
                text=question.text,
                channel=question.channel,
                sender=tracker.sender_id,
                reason=reason,
                candidates=candidates,
                top_score=top,
            )

    def choose(self, dispatcher: CollectingDispatcher, hits: list[Hit], question: Question) -> None:
        """Close candidates: offer them, and a person."""
        prompt = question.phrases["choose"]
        buttons = [{"title": short_label(h.question), "payload": h.question} for h in hits]
        buttons.append({"title": HUMAN_LABEL, "payload": HUMAN_LABEL})
        dispatcher.utter_message(text=prompt, buttons=buttons)
        dispatcher.utter_message(json_message=meta(candidates=[h.faq_id for h in hits], kind="choose"))

    def unknown(self, dispatcher: CollectingDispatcher, question: Question) -> None:
        """No reliable answer: say so, and where to ask."""
        dispatcher.utter_message(text=question.phrases["unknown"] + self.rt.contact_text())
        dispatcher.utter_message(json_message=meta(fallback=True, kind="unknown"))


class ActionHumanContact(RuntimeAction):
    def name(self) -> str:
        return "action_human_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = "担当者へのお問い合わせは、次の窓口で承ります。\n" + self.rt.contact_text()
        dispatcher.utter_message(text=text)
        dispatcher.utter_message(json_message=meta(kind="human"))
        return []
