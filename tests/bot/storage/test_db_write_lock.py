"""`begin_write_now`: on SQLite a writer that must not wait takes the write lock as soon as it is free."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from bot.storage.db import (
    SQLITE_BUSY_TIMEOUT_MS,
    begin_write_now,
    make_engine,
    session_factory,
    transaction,
)

HOLD_S = 0.4


def test_the_lock_is_taken_right_after_another_writer_releases_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    factory = session_factory(engine)
    holding = threading.Event()

    def other_writer() -> None:  # another process's transaction, as the LINE worker's or the action server's
        with transaction(factory) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            time.sleep(HOLD_S)

    thread = threading.Thread(target=other_writer)
    thread.start()
    holding.wait(5)
    started = time.perf_counter()
    with transaction(factory) as session:
        begin_write_now(session)
        waited = time.perf_counter() - started
        session.execute(text("INSERT INTO t VALUES (2)"))
    thread.join()
    # SQLite's own busy handler would sleep in growing steps (up to 100 ms at a time); this polls every 0.5 ms
    assert HOLD_S * 0.5 < waited < HOLD_S + 0.05
    with engine.connect() as connection:
        assert sorted(connection.execute(text("SELECT x FROM t")).scalars()) == [1, 2]
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
    engine.dispose()


def test_it_is_a_plain_transaction_start_on_every_database(factory) -> None:  # type: ignore[no-untyped-def]
    from bot.storage.line_inbox import LineInboxRow

    with transaction(factory) as session:
        begin_write_now(session)
        assert session.query(LineInboxRow).count() == 0
