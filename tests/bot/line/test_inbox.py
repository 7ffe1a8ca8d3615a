"""The webhook's durable intake: group commit under a burst, exact deduplication, and all-or-nothing failure."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.line.inbox import LineInbox
from bot.storage.line_inbox import LineInboxRow
from channels.line.events import from_dict
from channels.line.fake import text_event


def _count(factory) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return int(session.execute(select(func.count()).select_from(LineInboxRow)).scalar_one())


def test_a_burst_is_stored_in_few_transactions_and_every_request_learns_its_own_count(factory) -> None:  # type: ignore[no-untyped-def]
    intake = LineInbox(factory, lambda uid: f"p-{uid}")
    wakes: list[int] = []
    intake.wake = lambda: wakes.append(1)
    events = [from_dict(text_event(f"質問{i}", f"U{i:032d}")) for i in range(200)]

    async def burst() -> list[int]:
        return await asyncio.gather(*(intake.accept([e]) for e in events))

    assert asyncio.run(burst()) == [1] * 200
    assert _count(factory) == 200
    assert intake.transactions < 20  # requests that arrive while one transaction runs share the next one
    assert 1 <= len(wakes) <= intake.transactions

    async def again() -> list[int]:  # LINE redelivers all of them, two at once for the first ten
        return await asyncio.gather(*(intake.accept([e]) for e in [*events[:10], *events]))

    assert asyncio.run(again()) == [0] * 210
    assert _count(factory) == 200


def test_an_event_sent_twice_in_one_batch_is_new_for_one_request_only(factory) -> None:  # type: ignore[no-untyped-def]
    intake = LineInbox(factory, lambda uid: f"p-{uid}")
    event = from_dict(text_event("同じ質問", "U" + "2" * 32))
    other = from_dict(text_event("別の質問", "U" + "3" * 32))

    async def both() -> list[int]:
        return await asyncio.gather(intake.accept([event]), intake.accept([event, other]))

    assert sorted(asyncio.run(both())) == [1, 1]
    assert intake.transactions == 1 and _count(factory) == 2


def test_a_failed_transaction_fails_every_request_in_it_and_stores_nothing(factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    intake = LineInbox(factory, lambda uid: f"p-{uid}")
    events = [from_dict(text_event(f"質問{i}", f"U{i:032d}")) for i in range(5)]

    def broken(rows: list) -> set[str]:
        raise ConnectionError("database restarting")

    monkeypatch.setattr(intake, "_store", broken)

    async def burst() -> list[object]:
        return await asyncio.gather(*(intake.accept([e]) for e in events), return_exceptions=True)

    assert all(isinstance(r, ConnectionError) for r in asyncio.run(burst()))
    assert _count(factory) == 0
    monkeypatch.undo()  # the database is back: LINE's redelivery is stored
    assert asyncio.run(burst()) == [1] * 5


def test_nothing_to_store_costs_nothing(factory) -> None:  # type: ignore[no-untyped-def]
    intake = LineInbox(factory, lambda uid: f"p-{uid}")
    assert asyncio.run(intake.accept([])) == 0 and intake.transactions == 0


def test_warm_up_leaves_nothing_behind(factory) -> None:  # type: ignore[no-untyped-def]
    intake = LineInbox(factory, lambda uid: f"p-{uid}")
    intake.warm_up()
    intake.warm_up()  # twice: the made-up event was rolled back, not stored
    assert _count(factory) == 0 and intake.transactions == 0
    event = from_dict(text_event("ごみの日", "U" + "4" * 32))
    assert asyncio.run(intake.accept([event])) == 1 and _count(factory) == 1
