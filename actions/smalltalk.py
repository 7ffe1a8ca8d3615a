"""`action_greet`: the greeting, unless the message was really a question the city's FAQ answers for sure.

NLU is trained on the demo city's phrasing, so another city's resident who opens with 「こんにちは、…」 and a
question can land on ``greet``. The FAQ search (fitted on other cities) decides: when it is sure, the resident
gets the answer; when it is not, the greeting as before (never "which of these do you mean?" for a hello).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq_answer import answer_sure_or_offer
from actions.garbage import latest_text
from actions.runtime import RuntimeAction
from knowledge.topics import is_plain_greeting


class ActionGreet(RuntimeAction):
    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # a greeting with a question after it gets what the FAQ action would do for the question
        offer = not is_plain_greeting(latest_text(tracker))
        if answer_sure_or_offer(self.rt, dispatcher, tracker, offer=offer):
            return []
        dispatcher.utter_message(response="utter_greet")
        return []
