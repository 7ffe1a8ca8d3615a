"""The console's sign-in throttle: password guesses counted per account and per address, atomically and before
each guess is checked, so no number of parallel attempts gets more guesses than the limits
(`accounts.MAX_FAILURES_PER_ACCOUNT`, `accounts.MAX_FAILURES_PER_IP` in `accounts.LOCK_WINDOW`). Sign-ins and
the current-password checks of signed-in staff (password change, second factor on or off) both go through it.

    with transaction(factory) as session:            # commit the count first
        allowed = signin.take_guess(session, username, ip)
    if allowed:
        with transaction(factory) as session:
            ok = check the password (and the code)
            signin.record_attempt(session, username, ip, ok)   # or settle_guess: no history row
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.accounts import (
    LOCK_WINDOW,
    MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_IP,
    LoginAttempt,
    LoginThrottle,
)
from bot.storage.db import utcnow


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _throttles(username: str, ip: str) -> list[tuple[str, str, int]]:
    keys = [("user", username.strip()[:64], MAX_FAILURES_PER_ACCOUNT)]
    if ip:
        keys.append(("ip", ip[:64], MAX_FAILURES_PER_IP))
    return keys


def take_guess(session: Session, username: str, ip: str, now: datetime | None = None) -> bool:
    """Count one password guess for the account and the address *before* checking it; False (refuse without
    checking) when either is past its limit. Each count is one atomic `UPDATE … SET failures = failures + 1
    RETURNING failures`, so parallel attempts cannot all pass a check made before any of them was counted.
    Commit before the (slow) password check: the counter rows stay locked until then. A success gives the
    guess back (`settle_guess`)."""
    now = now or utcnow()
    expired = LoginThrottle.last_at < now - LOCK_WINDOW
    allowed = True
    for scope, key, limit in _throttles(username, ip):
        session.execute(
            _insert(session, LoginThrottle.__table__)
            .values(scope=scope, key=key, failures=0, last_at=now)
            .on_conflict_do_nothing()
        )
        count = session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.scope == scope, LoginThrottle.key == key)
            .values(
                failures=case((expired, 1), else_=LoginThrottle.failures + 1),
                last_at=case(
                    (or_(expired, LoginThrottle.failures < limit), now), else_=LoginThrottle.last_at
                ),
            )
            .returning(LoginThrottle.failures)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        allowed = allowed and count <= limit
    return allowed


def settle_guess(
    session: Session, username: str, ip: str, success: bool, now: datetime | None = None
) -> None:
    """After a guess taken with `take_guess`: a failure stays counted; a success clears the account's count,
    gives the address its guess back and deletes counters older than the window."""
    if not success:
        return
    now = now or utcnow()
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.scope == "user", LoginThrottle.key == username.strip()[:64])
        .values(failures=0)
        .execution_options(synchronize_session=False)
    )
    if ip:
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.scope == "ip", LoginThrottle.key == ip[:64], LoginThrottle.failures > 0)
            .values(failures=LoginThrottle.failures - 1)
            .execution_options(synchronize_session=False)
        )
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_at < now - LOCK_WINDOW))


def record_attempt(session: Session, username: str, ip: str, success: bool) -> None:
    """Keep a sign-in in the history (`login_attempts`) and settle its guess."""
    session.add(LoginAttempt(username=username.strip()[:64], ip=ip[:64], success=success))
    settle_guess(session, username, ip, success)
    session.flush()


def is_locked(session: Session, username: str, ip: str, now: datetime | None = None) -> bool:
    """Too many recent failed guesses for this account or from this address (`ip` "" : the account only)."""
    now = now or utcnow()
    for scope, key, limit in _throttles(username, ip):
        failures = session.scalar(
            select(LoginThrottle.failures).where(
                LoginThrottle.scope == scope,
                LoginThrottle.key == key,
                LoginThrottle.last_at >= now - LOCK_WINDOW,
            )
        )
        if (failures or 0) >= limit:
            return True
    return False


def unlock(session: Session, username: str) -> int:
    """Clear the account's failed guesses; returns how many there were."""
    key = username.strip()[:64]
    where = (LoginThrottle.scope == "user", LoginThrottle.key == key)
    cleared = session.scalar(select(LoginThrottle.failures).where(*where)) or 0
    session.execute(delete(LoginThrottle).where(*where))
    return cleared
