"""bot.meta: every META key an action may send is one the gateway merges into the turn's result."""

from __future__ import annotations

import typing

from bot.chat import ChatResult, merge_rasa_messages
from bot.meta import Kind, Meta

SAMPLE: Meta = {
    "faq_id": "faq-1",
    "candidates": ["faq-1", "faq-2"],
    "fallback": True,
    "link": {"label": "市のページ", "url": "https://example.jp"},
    "report_id": "R-2027-000001",
    "kind": "faq",
}


def test_the_sample_covers_every_key() -> None:
    assert set(SAMPLE) == set(typing.get_type_hints(Meta))


def test_every_key_reaches_the_chat_result() -> None:
    result = merge_rasa_messages([{"text": "はい"}, {"custom": {"madoguchi": SAMPLE}}], None)
    empty = ChatResult(replies=[])
    for key, value in SAMPLE.items():
        assert getattr(result, key) == value != getattr(empty, key), key


def test_kinds_are_plain_names() -> None:
    kinds = typing.get_args(Kind)
    assert len(kinds) == len(set(kinds)) and all(k.isidentifier() and k.islower() for k in kinds)
