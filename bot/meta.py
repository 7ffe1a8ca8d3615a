"""The machine part of a chat turn (META): what actions tell the gateway beside the visible text.

An action sends `dispatcher.utter_message(json_message={"madoguchi": META})`; the gateway
(`bot.chat.merge_rasa_messages`) merges every META of a turn into the `ChatResult`. docs/contracts.md lists the
same keys and kinds, and `tests/contract/test_docs.py` keeps the two equal.
"""

from __future__ import annotations

from typing import Literal, TypedDict

# What kind of answer a turn gave. `unavailable` is the gateway's own (Rasa did not answer); the rest come
# from actions.
Kind = Literal[
    "faq",
    "choose",
    "unknown",
    "garbage",
    "clinic",
    "snowplow",
    "department",
    "report",
    "human",
    "unavailable",
]


class Link(TypedDict):
    """A link the channel may render under the answer (e.g. the city's page)."""

    label: str
    url: str


class Meta(TypedDict, total=False):
    """META: every key is optional; an action sends only those it knows."""

    faq_id: str  # the FAQ entry whose answer was given
    candidates: list[str]  # FAQ ids offered as choices
    fallback: bool  # the bot said it could not answer
    link: Link
    report_id: str  # the case number of a resident report
    kind: Kind
