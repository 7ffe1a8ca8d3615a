"""Rasa's SQL tracker store, with conversation sessions delimited by event id instead of timestamp, and a small
in-memory summary of each conversation's current session.

Rasa 3.6's ``SQLTrackerStore`` finds the current session with ``timestamp >= <latest session_started
timestamp>`` and, on save, skips as many in-memory events as that query counts. A user message's timestamp is
taken when it arrives, before the conversation lock is held; when several messages of a brand-new (or expired)
conversation arrive at once — two Rasa instances, one LINE resident sending a photo and a text together — a
waiting message can carry a timestamp older than the ``session_started`` event written by the turn that held
the lock. It is then outside the "current session", the count is one short and the next save silently drops
an event (measured: 7 of 8 user turns stored; tests/scaleout/test_workers.py). Ids are assigned in commit
order under the lock, so delimiting the session by the id of the latest ``session_started`` event keeps every
turn. Only the query changes; the table is Rasa's own.

On every save the store also keeps a `SessionSummary` of the conversation (the intent of its latest message,
how many messages its session holds, whether a form is open or the bot just asked a question): the madoguchi
channel (`bot.nlu.channel`) reads it instead of loading the tracker again, and decides from it when a long
session should give way to a new one.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, SessionStarted, UserUttered

SUMMARIES_KEPT = 20_000  # conversations remembered per Rasa process (least recently saved dropped first)


@dataclass(frozen=True)
class SessionSummary:
    """What the channel needs to know of a conversation after its latest turn."""

    message_id: str | None  # the latest user message's id
    intent: dict[str, Any]  # {"name", "confidence"} of that message
    turns: int  # user messages in the current session
    last_user_at: float  # that message's timestamp (seconds since the epoch)
    active_loop: str | None  # an open form (report_form) or None
    asked: bool  # the bot's latest reply asked the resident something (a response named utter_ask_…)


def summarise(events: list[Any], active_loop: str | None) -> SessionSummary:
    """The summary of a tracker's events (those of the current session count towards `turns`)."""
    turns, latest, asked = 0, None, False
    for event in events:
        if isinstance(event, SessionStarted):
            turns, latest, asked = 0, None, False
        elif isinstance(event, UserUttered):
            turns, latest, asked = turns + 1, event, False
        elif isinstance(event, BotUttered):
            asked = asked or str((event.metadata or {}).get("utter_action") or "").startswith("utter_ask_")
    intent = dict(latest.intent) if latest is not None else {}
    return SessionSummary(
        message_id=latest.message_id if latest is not None else None,
        intent={"name": intent.get("name"), "confidence": float(intent.get("confidence") or 0.0)},
        turns=turns,
        last_user_at=float(latest.timestamp) if latest is not None else 0.0,
        active_loop=active_loop,
        asked=asked,
    )


class SessionOrderedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose current session is everything from the latest ``session_started`` id on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._summaries: OrderedDict[str, SessionSummary] = OrderedDict()

    def _event_query(self, session: Any, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
        event = self.SQLEvent
        query = session.query(event).filter(event.sender_id == sender_id)
        if not fetch_events_from_all_sessions:
            session_start = (
                session.query(sa.func.max(event.id))
                .filter(event.sender_id == sender_id, event.type_name == SessionStarted.type_name)
                .scalar_subquery()
            )
            query = query.filter(sa.or_(session_start.is_(None), event.id >= session_start))
        return query.order_by(event.id)

    async def save(self, tracker: Any) -> None:
        await super().save(tracker)
        self.remember(tracker)

    def remember(self, tracker: Any) -> SessionSummary:
        summary = summarise(list(tracker.events), tracker.active_loop_name)
        self._summaries[tracker.sender_id] = summary
        self._summaries.move_to_end(tracker.sender_id)
        while len(self._summaries) > SUMMARIES_KEPT:
            self._summaries.popitem(last=False)
        return summary

    def summary(self, sender_id: str) -> SessionSummary | None:
        """The summary saved by this process, or None (a restart, or another Rasa instance served it)."""
        return self._summaries.get(sender_id)
