"""The satisfaction check: after every 10th conversation, never twice in 7 days, scores kept without a name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.storage.db import transaction
from bot.storage.models import Message
from bot.storage.surveys import SatisfactionScore
from bot.surveys import satisfaction
from bot.surveys.definition import SurveyError

START = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)  # a Monday 09:00 in Japan


def talk(session, sender: str, when: datetime, turns: int = 2) -> None:  # type: ignore[no-untyped-def]
    for i in range(turns):
        moment = (when + timedelta(minutes=i)).replace(tzinfo=None)
        session.add(Message(channel="line", sender=sender, direction="in", text="…", created_at=moment))
    session.flush()


def test_due_at_the_tenth_conversation_and_not_again_within_a_week(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        for n in range(9):
            talk(session, "line-a", START + timedelta(hours=n))
        assert not satisfaction.satisfaction_due(session, "line-a", START + timedelta(hours=9))
        talk(session, "line-a", START + timedelta(hours=9))
        now = START + timedelta(hours=9, minutes=5)
        assert satisfaction.satisfaction_due(session, "line-a", now)
        satisfaction.mark_asked(session, "line-a", now)
        for n in range(10, 20):
            talk(session, "line-a", START + timedelta(hours=n))
        assert not satisfaction.satisfaction_due(session, "line-a", START + timedelta(days=2))
        assert satisfaction.satisfaction_due(session, "line-a", START + timedelta(days=7, hours=10))
        assert not satisfaction.satisfaction_due(session, "line-b", now)


def test_scores_are_recorded_without_the_pseudonym_and_trend_by_week(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        assert satisfaction.record_satisfaction(session, "line-a", 5, "line", START)
        assert not satisfaction.record_satisfaction(session, "line-a", 1, "line", START)  # a double tap
        satisfaction.record_satisfaction(session, "web-b", 2, "web", START + timedelta(days=7))
        satisfaction.record_satisfaction(session, "web-c", 4, "web", START + timedelta(days=8))
        with pytest.raises(SurveyError):
            satisfaction.record_satisfaction(session, "web-c", 6, "web", START)
        assert not satisfaction.satisfaction_due(session, "line-a", START + timedelta(days=1))
        # asked again: may answer again
        satisfaction.mark_asked(session, "line-a", START + timedelta(days=30))
        assert satisfaction.record_satisfaction(session, "line-a", 4, "line", START + timedelta(days=30))
    with factory() as session:
        assert "sender" not in SatisfactionScore.__table__.columns
        assert len(session.scalars(select(SatisfactionScore)).all()) == 4
        trend = satisfaction.weekly_trend(session, date(2027, 1, 13), 3)
        assert trend[0][:3] == (date(2026, 12, 28), 0, 0)
        assert trend[1] == (date(2027, 1, 4), 1, 1, 5.0)
        assert trend[2] == (date(2027, 1, 11), 2, 1, 3.0)
        assert satisfaction.totals(session, START.replace(tzinfo=None)) == {5: 1, 2: 1, 4: 2}
