"""City-data storage on SQLite and PostgreSQL: positions, subscriptions, the sent-log, datasets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from bot.storage import citydata
from bot.storage.db import transaction
from knowledge.snowplow import Position

JST = timezone(timedelta(hours=9))


def test_positions_are_stored_once_in_utc(factory) -> None:  # type: ignore[no-untyped-def]
    fix = Position("plow-1", 39.7, 140.1, datetime(2027, 1, 15, 5, 20, tzinfo=JST))
    with transaction(factory) as session:
        assert citydata.add_positions(session, [fix, fix]) == 1
    with transaction(factory) as session:
        assert citydata.add_positions(session, [fix]) == 0
    with factory() as session:
        stored = citydata.positions_since(session, datetime(2027, 1, 14, 20, 0))
        assert [p.timestamp for p in stored] == [datetime(2027, 1, 14, 20, 20)]
        assert (
            citydata.positions_since(session, datetime(2027, 1, 14, 0, 0), datetime(2027, 1, 14, 20, 0)) == []
        )
        assert citydata.positions_since(session, datetime(2027, 1, 15, 0, 0, tzinfo=UTC)) == []


def test_subscriptions(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        _, created = citydata.subscribe(
            session, sender="s1", sender_ref="r1", kind="garbage", area="中央地区"
        )
        assert created
        _, created = citydata.subscribe(
            session, sender="s1", sender_ref="r1", kind="garbage", area="中央地区"
        )
        assert not created
        citydata.subscribe(session, sender="s1", sender_ref="r1", kind="garbage", area="北町地区")
        citydata.subscribe(session, sender="s1", sender_ref="r1", kind="snowplow", area="北町地区")
    with factory() as session:
        assert [s.area for s in citydata.active_subscriptions(session, "garbage")] == ["北町地区"]
    with transaction(factory) as session:
        assert citydata.unsubscribe(session, sender="s1", kind="garbage") == 1
        assert citydata.unsubscribe(session, sender="s1") == 1
    with factory() as session:
        assert citydata.active_subscriptions(session, "snowplow") == []


def test_claim_delivery_once(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        sub, _ = citydata.subscribe(session, sender="s1", sender_ref="r1", kind="garbage", area="中央地区")
        sub_id = sub.id
    with transaction(factory) as session:
        row = citydata.claim_delivery(session, sub_id, date(2026, 9, 17))
        assert row is not None
        row.status = "sent"
    with transaction(factory) as session:
        assert citydata.claim_delivery(session, sub_id, date(2026, 9, 17)) is None
        assert citydata.claim_delivery(session, sub_id, date(2026, 9, 18)) is not None


def test_datasets(factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        assert citydata.datasets_revision(session) == 0
    with transaction(factory) as session:
        citydata.save_dataset(session, "clinics", {"clinics.csv": "a"})
        citydata.save_dataset(session, "clinics", {"clinics.csv": "b"})
    with factory() as session:
        row = citydata.latest_dataset(session, "clinics")
        assert row is not None and row.files == {"clinics.csv": "b"}
        assert citydata.datasets_revision(session) == row.id
        assert citydata.latest_dataset(session, "garbage") is None
