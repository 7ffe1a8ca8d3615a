"""`action_search_faq`: answer from the FAQ when sure, offer choices when torn, otherwise say so honestly."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import garbage, snowplow
from actions.runtime import city_today, message_metadata, meta, runtime
from bot.storage import conversations
from bot.storage.db import transaction
from knowledge.snowplow import match_area

LABEL_MAX = 20  # LINE quick-reply label limit
_ASCII_WORD = re.compile(r"[A-Za-z]")
HUMAN_LABEL = "担当者に問い合わせたい"


# A Latin-letter message counts as English when it has a function word or two real-looking words; a keyboard
# mash ("asdfghjkl") or one romanised word ("juminhyo") gets the Japanese reply.
_ENGLISH_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "you",
        "my",
        "me",
        "we",
        "is",
        "are",
        "am",
        "was",
        "do",
        "does",
        "did",
        "can",
        "could",
        "how",
        "what",
        "where",
        "when",
        "who",
        "which",
        "why",
        "to",
        "for",
        "of",
        "in",
        "on",
        "at",
        "with",
        "from",
        "and",
        "or",
        "not",
        "no",
        "yes",
        "please",
        "get",
        "need",
        "want",
        "have",
        "has",
        "it",
        "this",
        "that",
        "there",
    ]
)


def is_english(text: str) -> bool:
    letters = [c for c in text if not c.isspace() and c not in "?!.,'\"-()"]
    if not letters:
        return False
    if sum(1 for c in letters if _ASCII_WORD.match(c)) / len(letters) <= 0.6:
        return False
    words = [w.lower() for w in re.findall(r"[A-Za-z']+", text)]
    worded = [w for w in words if re.search(r"[aeiouy]", w) and len(w) > 1]
    return bool(set(words) & _ENGLISH_WORDS) or len(worded) >= 2


def short_label(text: str) -> str:
    text = text.strip()
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


STRICT_OOS_CONFIDENCE = 0.8


def area_answer(tracker: Tracker) -> Action | None:
    """The action an unclear message is really for when it names an area right after the bot asked for one
    (garbage days or snow clearing: 「お住まいの地区を教えてください」→「本町です」), else None."""
    text = (tracker.latest_message or {}).get("text") or ""
    _question, said = garbage.last_exchange(tracker)
    if not said:
        return None
    data = garbage.city()
    if garbage.AREA_QUESTION in said and data.garbage.match_area(text):
        return garbage.ActionGarbageDay()
    if snowplow.AREA_QUESTION in said and match_area(data.snowplow_areas, text) is not None:
        return snowplow.ActionSnowplow()
    return None


class ActionSearchFaq(Action):
    def name(self) -> str:
        return "action_search_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        meant = area_answer(tracker)  # NLU has no intent for a bare place name; the context says what it is
        if meant is not None:
            return await meant.run(dispatcher, tracker, domain)
        rt = runtime()
        text = (tracker.latest_message or {}).get("text") or ""
        intent = (tracker.latest_message or {}).get("intent") or {}
        channel = message_metadata(tracker).get("channel", "web")
        # DIET is sure a message is off-topic: then only a very strong, clear FAQ match may answer. An unsure
        # out_of_scope (a long procedural question with unseen words) is searched with the normal bar.
        strict = (
            intent.get("name") == "out_of_scope"
            and float(intent.get("confidence") or 0) >= STRICT_OOS_CONFIDENCE
        )
        outcome = rt.searcher.search(text, k=3, strict=strict, today=city_today())
        english = is_english(text)
        if outcome.decision == "answer" and outcome.hits:
            entry = rt.searcher.entry(outcome.hits[0].faq_id)
            if entry is not None:
                answer = entry.answer
                if english:
                    answer = entry.answer_en or (
                        entry.answer + "\n\n(This answer is available in Japanese only. "
                        "Please ask the city office if you need help in English.)"
                    )
                link = (
                    {"label": "詳しくはこちら" if not english else "More details", "url": entry.url}
                    if entry.url
                    else None
                )
                dispatcher.utter_message(text=answer)
                dispatcher.utter_message(json_message=meta(faq_id=entry.id, kind="faq", link=link))
                return []
        candidates = [{"faq_id": h.faq_id, "score": round(float(h.score), 4)} for h in outcome.hits]
        top = float(outcome.hits[0].score) if outcome.hits else 0.0
        choose = outcome.decision == "choose" and len(outcome.hits) >= 2
        with transaction(rt.factory) as session:  # staff see both: what was offered, and what found nothing
            conversations.log_unanswered(
                session,
                text=text,
                channel=channel,
                sender=tracker.sender_id,
                reason="choose" if choose else "unknown",
                candidates=candidates,
                top_score=top,
            )
        if choose:
            prompt = (
                "Which of these do you mean?"
                if english
                else "ご質問は次のどれに近いですか？当てはまるものを選んでください。"
            )
            buttons = [{"title": short_label(h.question), "payload": h.question} for h in outcome.hits[:3]]
            buttons.append({"title": HUMAN_LABEL, "payload": HUMAN_LABEL})
            dispatcher.utter_message(text=prompt, buttons=buttons)
            dispatcher.utter_message(
                json_message=meta(candidates=[h.faq_id for h in outcome.hits[:3]], kind="choose")
            )
            return []
        if english:
            reply = (
                "Sorry, I could not find a reliable answer to that question. "
                "Please contact the city office:\n" + rt.contact_text()
            )
        else:
            reply = (
                "申し訳ありません。そのご質問に確実にお答えできる情報が見つかりませんでした。"
                "お手数ですが、次の窓口までお問い合わせください。\n" + rt.contact_text()
            )
        dispatcher.utter_message(text=reply)
        dispatcher.utter_message(json_message=meta(fallback=True, kind="unknown"))
        return []


class ActionHumanContact(Action):
    def name(self) -> str:
        return "action_human_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        rt = runtime()
        dispatcher.utter_message(text="担当者へのお問い合わせは、次の窓口で承ります。\n" + rt.contact_text())
        dispatcher.utter_message(json_message=meta(kind="human"))
        return []
