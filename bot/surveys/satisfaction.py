"""The optional one-question satisfaction check (満足度): asked after every 10th conversation of a resident,
never twice within 7 days, answered 1–5; the dashboard shows its trend beside 役に立った.

A conversation is a run of the resident's messages with no pause longer than :data:`CONVERSATION_GAP`; they are
counted from the stored messages since the resident was last asked. The scores are kept without the pseudonym.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.storage.models import Message
from bot.storage.surveys import CHANNELS, SatisfactionAsk, SatisfactionScore
from bot.surveys.definition import SurveyError
from knowledge.clock import city_day_bounds_utc, to_city_time

EVERY_NTH_CONVERSATION = 10
NOT_AGAIN_WITHIN = timedelta(days=7)
CONVERSATION_GAP = timedelta(minutes=30)
FAVOURABLE = 4  # a score of 4 or 5 is favourable (満足・やや満足)
SCORE_LABELS = {5: "満足", 4: "やや満足", 3: "どちらともいえない", 2: "やや不満", 1: "不満"}


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def conversations_since(session: Session, sender: str, since: datetime | None, now: datetime) -> int:
    """How many conversations the resident started after ``since`` (naive UTC; None: ever) up to ``now``."""
    query = select(Message.created_at).where(
        Message.sender == sender, Message.direction == "in", Message.created_at <= _naive_utc(now)
    )
    if since is not None:
        query = query.where(Message.created_at > since)
    count, last = 0, None
    for (moment,) in session.execute(query.order_by(Message.created_at)):
        if last is None or moment - last > CONVERSATION_GAP:
            count += 1
        last = moment
    return count


def satisfaction_due(session: Session, sender: str, now: datetime) -> bool:
    """True when this resident should be asked now: the 10th conversation since they were last asked (or
    ever), and not asked in the last 7 days."""
    asked = session.get(SatisfactionAsk, sender)
    if asked is not None and _naive_utc(now) - asked.asked_at < NOT_AGAIN_WITHIN:
        return False
    since = asked.asked_at if asked is not None else None
    return conversations_since(session, sender, since, now) >= EVERY_NTH_CONVERSATION


def mark_asked(session: Session, sender: str, now: datetime) -> None:
    row = session.get(SatisfactionAsk, sender)
    if row is None:
        session.add(SatisfactionAsk(sender=sender, asked_at=_naive_utc(now)))
    else:
        row.asked_at = _naive_utc(now)
    session.flush()


def record_satisfaction(session: Session, sender: str, score: int, channel: str, now: datetime) -> bool:
    """Keep one answer (1..5) per ask, without the pseudonym; it also counts as asked. A second answer to
    the same ask (a double tap, an old button) is not counted: False."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise SurveyError("1から5の数字で答えてください。")
    if channel not in CHANNELS:
        raise SurveyError("回答の経路が正しくありません。")
    asked = session.get(SatisfactionAsk, sender)
    if asked is not None and asked.answered_at is not None and asked.answered_at >= asked.asked_at:
        return False
    session.add(SatisfactionScore(channel=channel, score=score, created_at=_naive_utc(now)))
    mark_asked(session, sender, now)
    answered = session.get(SatisfactionAsk, sender)
    assert answered is not None
    answered.answered_at = answered.asked_at
    session.flush()
    return True


def weekly_trend(session: Session, today: date, weeks: int) -> list[tuple[date, int, int, float | None]]:
    """Per city week (Monday first) of the last ``weeks``: (week start, answers, favourable, mean score)."""
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    start, _ = city_day_bounds_utc(first, first)
    rows = session.execute(
        select(SatisfactionScore.created_at, SatisfactionScore.score).where(
            SatisfactionScore.created_at >= start
        )
    )
    buckets: dict[date, list[int]] = {first + timedelta(weeks=i): [] for i in range(weeks)}
    for created, score in rows:
        day = to_city_time(created).date()
        week = day - timedelta(days=day.weekday())
        if week in buckets:
            buckets[week].append(int(score))
    return [
        (week, len(s), sum(1 for v in s if v >= FAVOURABLE), (sum(s) / len(s)) if s else None)
        for week, s in buckets.items()
    ]


def totals(session: Session, start: datetime) -> dict[int, int]:
    """{score: answers} since ``start`` (naive UTC)."""
    rows = session.execute(
        select(SatisfactionScore.score, func.count())
        .where(SatisfactionScore.created_at >= start)
        .group_by(SatisfactionScore.score)
    )
    return {int(score): int(n) for score, n in rows}
