"""One FAQ entry as the answer to a resident's question, framed in their language.

`action_search_faq` says it when the search decides "answer"; a topic action (garbage, clinics, snow clearing,
departments) says it first when the message names nothing it could answer from specifically, so that what the
city wrote in its FAQ is not lost behind the topic's generic reply (`answer_if_sure`). When the search is only
torn between close entries and the topic action answers in its own way (an area question, the duty roster, the
sorting dictionary, a department's counter), the close entries come with that reply (``also=True``): the
resident taps one if the city's FAQ was what they meant.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import Runtime, message_metadata, meta
from bot.storage import conversations
from bot.storage.db import transaction
from knowledge.normalize import question_language
from knowledge.search import Hit, SearchOutcome
from knowledge.topics import fold

LABEL_MAX = 20  # LINE quick-reply label limit
HUMAN_LABEL = "担当者に問い合わせたい"


def short_label(text: str) -> str:
    text = text.strip()
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


log = logging.getLogger(__name__)

STRICT_OOS_CONFIDENCE = 0.8

# What the bot says around an FAQ answer, in the resident's language (the answer itself comes from the FAQ's
# answer_<lang> column when the city wrote one, else the Japanese answer with the "only in Japanese" note).
# The Japanese "choose", "also" and "unknown" are the domain.yml responses utter_faq_<key>.
PHRASES: dict[str, dict[str, str]] = {
    "ja": {
        "more": "詳しくはこちら",
        "japanese_only": "",
    },
    "en": {
        "more": "More details",
        "choose": "Which of these do you mean?",
        "also": "The city's FAQ has these, which may be what you mean:",
        "unknown": "Sorry, I could not find a reliable answer to that question. "
        "Please contact the city office:\n",
        "japanese_only": "\n\n(This answer is available in Japanese only. "
        "Please ask the city office if you need help in English.)",
    },
    "zh": {
        "more": "详细信息",
        "choose": "您想问的是以下哪一项？请选择。",
        "also": "市政府的常见问题中有以下可能相关的内容：",
        "unknown": "很抱歉，没有找到可以确切回答您问题的信息。请联系以下窗口：\n",
        "japanese_only": "\n\n（此回答只有日语版本。如需中文帮助，请联系市政府窗口。）",
    },
    "ko": {
        "more": "자세한 내용",
        "choose": "다음 중 어느 질문에 가까우신가요? 선택해 주세요.",
        "also": "시의 자주 묻는 질문에 관련이 있을 수 있는 항목이 있습니다:",
        "unknown": "죄송합니다. 질문에 정확히 답할 수 있는 정보를 찾지 못했습니다. 아래 창구로 문의해 주세요.\n",
        "japanese_only": "\n\n(이 답변은 일본어로만 제공됩니다. 한국어 도움이 필요하시면 시청 창구로 문의해 주세요.)",
    },
}


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

    def say(
        self,
        dispatcher: CollectingDispatcher,
        key: str,
        suffix: str = "",
        buttons: list | None = None,
        **fill: str,
    ) -> None:
        """Say the phrase `key` (then `suffix`) in the resident's language: a phrase this module has for the
        language, else the domain.yml response ``utter_faq_<key>`` filled with `fill` (Japanese)."""
        phrase = self.phrases.get(key)
        if phrase is None:
            dispatcher.utter_message(response=f"utter_faq_{key}", buttons=buttons, **fill)
        else:
            dispatcher.utter_message(text=phrase + suffix, buttons=buttons)


def answer(rt: Runtime, dispatcher: CollectingDispatcher, hit: Hit, question: Question) -> bool:
    """The entry's answer and link (False when the entry is gone since the index was built)."""
    entry = rt.searcher.entry(hit.faq_id)
    if entry is None:
        return False
    text = entry.answer
    if question.language != "ja":
        text = entry.answer_in(question.language) or entry.answer + question.phrases["japanese_only"]
    link = {"label": question.phrases["more"], "url": entry.url} if entry.url else None
    dispatcher.utter_message(text=text)
    dispatcher.utter_message(json_message=meta(faq_id=entry.id, kind="faq", link=link))
    return True


def answer_if_sure(rt: Runtime, dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """What the FAQ action would do for the message (answer, or offer the close entries), and whether it did."""
    return answer_sure_or_offer(rt, dispatcher, tracker, offer=True)


def answer_sure_or_offer(
    rt: Runtime, dispatcher: CollectingDispatcher, tracker: Tracker, offer: bool, also: bool = False
) -> bool:
    """For a topic action that found nothing specific (no area, item, date, department) in the message: what the
    FAQ search would do for it — its answer when the search decides "answer", the close entries when it is torn —
    and whether it did so (else the topic action goes on as it would without an FAQ). With ``offer`` False and
    ``also`` True, a torn search's entries are offered all the same (as "the FAQ also has these") and False is
    returned: the topic action's own reply follows them. A failing search counts as unsure: the topic's own
    reply still helps."""
    question = Question.of(tracker)
    outcome = search(rt, question)
    if outcome is None:
        return False
    if outcome.decision == "answer" and outcome.hits and answer(rt, dispatcher, outcome.hits[0], question):
        return True
    if offer:
        return offer_choices(rt, dispatcher, tracker, question, outcome)
    if also:
        offer_also(rt, dispatcher, tracker, question, outcome)
    return False


def offer_also(
    rt: Runtime,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    question: Question,
    outcome: SearchOutcome,
) -> None:
    """A torn search's close entries, introduced as "the FAQ also has these" before a topic action's own reply
    (no person button, not logged as unanswered)."""
    offer_choices(rt, dispatcher, tracker, question, outcome, key="also", human=False)


def search(rt: Runtime, question: Question) -> SearchOutcome | None:
    """The FAQ search of the message on the city's date; None when it fails (the index being rebuilt or the
    database away must not cost a topic action its own reply)."""
    try:
        return rt.searcher.search(question.text, k=3, today=rt.clock.today())
    except Exception:
        log.warning("FAQ search failed; the topic action answers alone", exc_info=True)
        return None


def answer_if_sure_about(
    rt: Runtime, dispatcher: CollectingDispatcher, tracker: Tracker, words: list[str]
) -> bool:
    """The FAQ's answer when the search is sure of an entry whose question, keywords or answer name one of
    ``words`` (the item a topic action found): the city wrote about that very thing, which says more than a
    computed line (「スプレー缶の捨て方」 beside the dictionary's 「有害ごみ」; 「カセットボンベ」, which the entry on
    spray cans names in its answer). When the search is torn, its close entries are
    offered as "the FAQ also has these" (the dictionary's answer follows); nothing is said otherwise."""
    question = Question.of(tracker)
    folded = [_fold(w) for w in words if w.strip()]
    outcome = search(rt, question)
    if outcome is None:
        return False
    if outcome.decision == "choose":
        offer_also(rt, dispatcher, tracker, question, outcome)
        return False
    if outcome.decision != "answer" or not outcome.hits or not folded:
        return False
    entry = rt.searcher.entry(outcome.hits[0].faq_id)
    if entry is None:
        return False
    written = _fold(" ".join([entry.question, *entry.keywords, *entry.alt_questions, entry.answer]))
    return any(w in written for w in folded) and answer(rt, dispatcher, outcome.hits[0], question)


def _fold(text: str) -> str:
    """For comparing an item with an FAQ question: NFKC, kana folded, a parenthetical note dropped."""
    return fold(re.sub(r"[（(].*?[）)]", "", unicodedata.normalize("NFKC", text))).strip()


# Words of a resident who asks to report, not what to do: the report form starts with no FAQ answer first.
REPORT_WORDS = ("通報", "報告", "連絡したい", "知らせたい", "直して", "修理して", "対応して", "report")


def started_this_turn(tracker: Tracker, form: str) -> bool:
    """True when ``form`` was activated after the resident's latest message (this turn started it)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "active_loop" and event.get("name") == form:
            return True
    return False


def answer_before_report(rt: Runtime, dispatcher: CollectingDispatcher, tracker: Tracker, form: str) -> bool:
    """A report form that this message started, on a message the city's FAQ answers for sure (「側溝のふたが
    壊れてる」, 「街灯が切れてる」): the FAQ's answer first — the city may say whom to call, or that another body
    looks after it — then the form goes on with its first question. A message that asks to report (通報したい)
    starts the form as it is."""
    text = str((tracker.latest_message or {}).get("text") or "")
    if any(w in text.lower() for w in REPORT_WORDS) or not started_this_turn(tracker, form):
        return False
    question = Question.of(tracker)
    outcome = search(rt, question)  # None: the form goes on without the FAQ
    if (
        outcome is None
        or outcome.decision != "answer"
        or not outcome.hits
        or not answer(rt, dispatcher, outcome.hits[0], question)
    ):
        return False
    dispatcher.utter_message(response="utter_report_after_faq")
    return True


def offer_choices(
    rt: Runtime,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    question: Question,
    outcome: SearchOutcome,
    key: str = "choose",
    human: bool = True,
) -> bool:
    """When the search is torn between close entries: offer them (and a person, with ``human``) and log the
    question for staff. ``key`` is the phrase that introduces them: "choose", or "also" beside a topic action's
    own reply, which is not logged (the topic answered it: 「明日のごみは？」 asked without an area is no gap in
    the FAQ for staff to fill)."""
    if outcome.decision != "choose" or len(outcome.hits) < 2:
        return False
    if key == "choose":
        log_unanswered(rt, tracker, question, outcome, "choose")
    hits = outcome.hits[:3]
    buttons = [{"title": short_label(h.question), "payload": h.question} for h in hits]
    if human:
        buttons.append({"title": HUMAN_LABEL, "payload": HUMAN_LABEL})
    question.say(dispatcher, key, buttons=buttons)
    dispatcher.utter_message(json_message=meta(candidates=[h.faq_id for h in hits], kind="choose"))
    return True


def log_unanswered(
    rt: Runtime, tracker: Tracker, question: Question, outcome: SearchOutcome, reason: str
) -> None:
    """Staff see both: what was offered, and what found nothing."""
    candidates = [{"faq_id": h.faq_id, "score": round(float(h.score), 4)} for h in outcome.hits]
    top = float(outcome.hits[0].score) if outcome.hits else 0.0
    with transaction(rt.factory) as session:
        conversations.log_unanswered(
            session,
            text=question.text,
            channel=question.channel,
            sender=tracker.sender_id,
            reason=reason,
            candidates=candidates,
            top_score=top,
        )
