"""The console's sign-in throttle (bot/storage/signin.py) on SQLite and PostgreSQL: guesses counted atomically
before they are checked, per account and per address; a success gives its guess back; the lock lasts its window."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bot.storage import accounts, signin
from bot.storage.db import transaction, utcnow

LIMIT = accounts.MAX_FAILURES_PER_ACCOUNT


def _take(factory, username: str = "sato", ip: str = "10.0.0.1", now=None) -> bool:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        return signin.take_guess(session, username, ip, now=now)


def test_the_account_locks_after_its_guesses_and_for_its_window(factory) -> None:
    t0 = utcnow()
    assert [_take(factory, ip=f"10.0.0.{i}", now=t0) for i in range(LIMIT + 1)] == [True] * LIMIT + [False]
    with factory() as session:
        assert signin.is_locked(session, "sato", "", now=t0)  # from every address: the account is locked
        assert not signin.is_locked(session, "kato", "10.0.0.1", now=t0)
        assert not signin.is_locked(session, "sato", "", now=t0 + accounts.LOCK_WINDOW + timedelta(seconds=1))
    # guesses refused during the lock do not stretch it: it ends one window after the guess that reached the limit
    assert not _take(factory, now=t0 + timedelta(minutes=10))
    assert _take(factory, now=t0 + accounts.LOCK_WINDOW + timedelta(seconds=1))


def test_a_success_clears_the_account_and_gives_the_address_its_guess_back(factory) -> None:
    for _ in range(LIMIT - 1):
        assert _take(factory)
    assert _take(factory)  # the right password this time
    with transaction(factory) as session:
        signin.record_attempt(session, "sato", "10.0.0.1", True)
    assert [_take(factory) for _ in range(LIMIT)] == [True] * LIMIT  # a fresh budget
    with factory() as session:
        rows = {(r.scope, r.key): r.failures for r in session.query(accounts.LoginThrottle)}
        attempts = session.query(accounts.LoginAttempt).count()
    assert rows == {("user", "sato"): LIMIT, ("ip", "10.0.0.1"): 2 * LIMIT - 1}
    assert attempts == 1  # only sign-ins are kept in the history, not every guess


def test_an_address_is_locked_across_accounts(factory) -> None:
    results = [_take(factory, username=f"guess{i}") for i in range(accounts.MAX_FAILURES_PER_IP + 1)]
    assert results == [True] * accounts.MAX_FAILURES_PER_IP + [False]
    assert not _take(factory, username="sato")  # whatever account it tries next
    assert _take(factory, username="sato", ip="10.0.0.2")  # another address is not held back


def test_unlock_clears_the_account_and_says_how_many_failures(factory) -> None:
    for _ in range(LIMIT):
        _take(factory)
    with transaction(factory) as session:
        assert signin.unlock(session, "sato") == LIMIT
        assert signin.unlock(session, "sato") == 0
    assert _take(factory, ip="10.0.0.2")


def test_parallel_guesses_get_no_more_than_the_limit(factory) -> None:
    """Forty at once, as a script would: counted one at a time in the database, so exactly five get through."""
    start = threading.Barrier(40)

    def guess(i: int) -> bool:
        start.wait()
        return _take(factory, ip=f"192.0.2.{i}")

    with ThreadPoolExecutor(max_workers=40) as pool:
        allowed = list(pool.map(guess, range(40)))
    assert allowed.count(True) == LIMIT
