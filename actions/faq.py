"""`action_search_faq`: answer from the FAQ when sure, offer choices when torn, otherwise say so honestly.
`action_human_contact`: the counter to ask a person (after the FAQ's answer when the search is sure of one).

`action_search_faq` is the door of the intent `ask_city_service` and of `nlu_fallback` (data/rules/city_service.yml).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import garbage, snowplow
from actions.faq_answer import Question, answer, answer_sure_or_offer, log_unanswered, offer_choices
from actions.runtime import Runtime, RuntimeAction, meta
from knowledge.snowplow import match_area


def area_answer(rt: Runtime, tracker: Tracker) -> Action | None:
    """The action an unclear message is really for when it names an area right after the bot asked for one
    (garbage days or snow clearing: 「お住まいの地区を教えてください」→「本町です」), else None."""
    text = (tracker.latest_message or {}).get("text") or ""
    data = rt.city()
    if garbage.asked_with(tracker, garbage.AREA_QUESTION) and data.garbage.match_area(text):
        return garbage.ActionGarbageDay(rt)
    if (
        garbage.asked_with(tracker, snowplow.AREA_QUESTION)
        and match_area(data.snowplow_areas, text) is not None
    ):
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
        if offer_choices(self.rt, dispatcher, tracker, question, outcome):
            return []
        log_unanswered(self.rt, tracker, question, outcome, "unknown")
        self.unknown(dispatcher, question)
        return []

    def unknown(self, dispatcher: CollectingDispatcher, question: Question) -> None:
        """No reliable answer: say so, and where to ask."""
        question.say(dispatcher, "unknown", self.rt.contact_text(), None, **self.rt.contact_fill())
        dispatcher.utter_message(json_message=meta(fallback=True, kind="unknown"))


class ActionHumanContact(RuntimeAction):
    def name(self) -> str:
        return "action_human_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # A question NLU took for a request for a person, which the city's FAQ answers for sure: the answer
        # first, then the counter as asked (the turn stays an FAQ answer for statistics and feedback); when the
        # FAQ is torn, its close entries and then the counter.
        answered = answer_sure_or_offer(self.rt, dispatcher, tracker, offer=False, also=True)
        dispatcher.utter_message(response="utter_human_contact", **self.rt.contact_fill())
        if not answered:
            dispatcher.utter_message(json_message=meta(kind="human"))
        return []
