"""`action_search_faq`: answer from the FAQ when sure, offer choices when torn, otherwise say so honestly.
`action_human_contact`: the counter to ask a person.

`action_search_faq` is the door of the intent `ask_city_service` and of `nlu_fallback` (data/rules/city_service.yml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import garbage, snowplow
from actions.runtime import Runtime, RuntimeAction, message_metadata, meta
from bot.storage import conversations
from bot.storage.db import transaction
from knowledge.normalize import question_language
from knowledge.search import Hit, SearchOutcome
from knowledge.snowplow import match_area

LABEL_MAX = 20  # LINE quick-reply label limit
HUMAN_LABEL = "担当者に問い合わせたい"
STRICT_OOS_CONFIDENCE = 0.8

# What the bot says around an FAQ answer, in the resident's language (the answer itself comes from the FAQ's
# answer_<lang> column when the city wrote one, else the Japanese answer with the "only in Japanese" note).
PHRASES: dict[str, dict[str, str]] = {
    "ja": {
        "more": "詳しくはこちら",
        "choose": "ご質問は次のどれに近いですか？当てはまるものを選んでください。",
        "unknown": "申し訳ありません。そのご質問に確実にお答えできる情報が見つかりませんでした。"
        "お手数ですが、次の窓口までお問い合わせください。\n",
        "japanese_only": "",
    },
    "en": {
        "more": "More details",
        "choose": "Which of these do you mean?",
        "unknown": "Sorry, I could not find a reliable answer to that question. "
        "Please contact the city office:\n",
        "japanese_only": "\n\n(This answer is available in Japanese only. "
        "Please ask the city office if you need help in English.)",
    },
    "zh": {
        "more": "详细信息",
        "choose": "您想问的是以下哪一项？请选择。",
        "unknown": "很抱歉，没有找到可以确切回答您问题的信息。请联系以下窗口：\n",
        "japanese_only": "\n\n（此回答只有日语版本。如需中文帮助，请联系市政府窗口。）",
    },
    "ko": {
        "more": "자세한 내용",
        "choose": "다음 중 어느 질문에 가까우신가요? 선택해 주세요.",
        "unknown": "죄송합니다. 질문에 정확히 답할 수 있는 정보를 찾지 못했습니다. 아래 창구로 문의해 주세요.\n",
        "japanese_only": "\n\n(이 답변은 일본어로만 제공됩니다. 한국어 도움이 필요하시면 시청 창구로 문의해 주세요.)",
    },
}


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


@dataclass(frozen=True)
class Question:
    """The resident's message as the FAQ search sees it."""

    text: str
    channel: str
    strict: bool  # only a very strong, clear FAQ match may answer
    language: str  # the resident's language (ja, en, zh, ko): framing and, when the FAQ has it, the answer

    @classmethod
    def of(cls, tracker: Tracker) -> Question:
        latest = tracker.latest_message or {}
        text = latest.get("text") or ""
        intent = latest.get("intent") or {}
        # DIET is sure a message is off-topic: then only a very strong, clear FAQ match may answer. An unsure
        # out_of_scope (a long procedural question with unseen words) is searched with the normal bar.
        strict = (
            intent.get("name") == "out_of_scope"
            and float(intent.get("confidence") or 0) >= STRICT_OOS_CONFIDENCE
        )
        channel = message_metadata(tracker).get("channel", "web")
        return cls(text=text, channel=channel, strict=strict, language=question_language(text))

    @property
    def phrases(self) -> dict[str, str]:
        return PHRASES.get(self.language, PHRASES["ja"])


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
        if answered and self.answer(dispatcher, outcome.hits[0], question):
            return []
        torn = outcome.decision == "choose" and len(outcome.hits) >= 2
        self.log_unanswered(tracker, question, outcome, "choose" if torn else "unknown")
        if torn:
            self.choose(dispatcher, outcome.hits[:3], question)
        else:
            self.unknown(dispatcher, question)
        return []

    def answer_if_sure(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
        """For a topic action that found nothing specific (no area, item, date…) in the message: answer from
        the city's FAQ when the search is sure, and say whether it did (else the topic action goes on)."""
        question = Question.of(tracker)
        outcome = self.rt.searcher.search(question.text, k=3, today=self.rt.clock.today())
        return bool(
            outcome.decision == "answer"
            and outcome.hits
            and self.answer(dispatcher, outcome.hits[0], question)
        )

    def answer(self, dispatcher: CollectingDispatcher, hit: Hit, question: Question) -> bool:
        """The entry's answer and link (False when the entry is gone since the index was built)."""
        entry = self.rt.searcher.entry(hit.faq_id)
        if entry is None:
            return False
        text = entry.answer
        if question.language != "ja":
            text = entry.answer_in(question.language) or entry.answer + question.phrases["japanese_only"]
        link = {"label": question.phrases["more"], "url": entry.url} if entry.url else None
        dispatcher.utter_message(text=text)
        dispatcher.utter_message(json_message=meta(faq_id=entry.id, kind="faq", link=link))
        return True

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
