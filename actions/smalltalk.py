"""`action_greet`, `action_thanks`, `action_goodbye`: small talk, unless the message was really a question.

NLU is trained on the demo city's phrasing, so another city's resident who opens with 「こんにちは、…」 and a
question can land on ``greet``, and 「畑にクマの足跡があって怖くてね」 on ``goodbye``. A message that is only the
small talk gets its reply (never "which of these do you mean?" for a hello or a thank-you). Anything more is
searched as the FAQ action would: the answer when the search is sure, the close entries when it is torn, and the
small-talk reply when it finds nothing.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq_answer import answer_sure_or_offer
from actions.garbage import latest_text
from actions.runtime import RuntimeAction
from knowledge.topics import is_plain


class SmallTalk(RuntimeAction):
    kind: str  # a key of knowledge.topics' small-talk words (set by each subclass)
    reply: str  # the response for the small talk alone

    def name(self) -> str:
        return f"action_{self.kind}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if not is_plain(latest_text(tracker), self.kind) and answer_sure_or_offer(
            self.rt, dispatcher, tracker, offer=True
        ):
            return []
        dispatcher.utter_message(response=self.reply)
        return []


class ActionGreet(SmallTalk):
    kind = "greet"
    reply = "utter_greet"


class ActionThanks(SmallTalk):
    kind = "thanks"
    reply = "utter_thanks"


class ActionGoodbye(SmallTalk):
    kind = "goodbye"
    reply = "utter_goodbye"
