"""Segments pick LINE followers by profile (area, age group) or by what they asked."""

from __future__ import annotations

import pytest

from bot.storage import conversations, faq_repo
from bot.storage.db import transaction
from bot.storage.line_inbox import LineUser
from bot.storage.profiles import set_profile
from bot.surveys.definition import SurveyError
from bot.surveys.segments import Segment, parse_segment, segment_senders, topic_choices
from knowledge.kb import FaqEntry


def seed(session) -> None:  # type: ignore[no-untyped-def]
    for n, followed in ((1, True), (2, True), (3, True), (4, False)):
        session.add(LineUser(pseudonym=f"line-{n}", user_id=f"U{n}", followed=followed))
    set_profile(session, "line-1", age_group="30代", area="中央地区")
    set_profile(session, "line-2", age_group="70代", area="中央地区")
    set_profile(session, "line-4", age_group="30代", area="中央地区")  # blocked the account
    faq_repo.seed_if_empty(session, [FaqEntry(id="g1", question="粗大ごみ", answer="…", category="ごみ")])
    conversations.add_message(
        session, channel="line", sender="line-3", direction="out", text="…", faq_id="g1"
    )
    conversations.add_message(
        session, channel="line", sender="line-2", direction="out", text="…", intent="ask_snowplow"
    )


def test_segments_pick_followers_only(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        seed(session)
    with factory() as session:
        assert segment_senders(session, Segment("all")) == ["line-1", "line-2", "line-3"]
        assert segment_senders(session, Segment("area", "中央地区")) == ["line-1", "line-2"]
        assert segment_senders(session, Segment("age", "30代")) == ["line-1"]
        assert segment_senders(session, Segment("topic", "ごみ")) == ["line-3"]
        assert segment_senders(session, Segment("topic", "ask_snowplow")) == ["line-2"]
        assert ("ごみ", "ごみ") in topic_choices(session)
        assert ("ask_snowplow", "除雪") in topic_choices(session)


def test_parse_segment() -> None:
    assert parse_segment("all", "anything") == Segment("all")
    assert parse_segment("age", " 20代 ") == Segment("age", "20代")
    assert parse_segment("topic", "ask_snowplow").label == "質問した話題: 除雪"
    for kind, value in (("age", "25歳"), ("area", ""), ("everyone", ""), ("topic", "x" * 200)):
        with pytest.raises(SurveyError):
            parse_segment(kind, value)
