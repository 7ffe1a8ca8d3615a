"""Staff accounts storage on SQLite and PostgreSQL: users, sessions, lockout, audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from bot.storage import accounts
from bot.storage.db import transaction, utcnow

CHEAP = accounts.PasswordPolicy(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_users_sessions_lockout_and_audit(factory) -> None:
    with transaction(factory) as s:
        user = accounts.create_user(s, "sato", "a-long-password", "editor", policy=CHEAP)
        with pytest.raises(ValueError):
            accounts.create_user(s, "sato", "a-long-password", "editor", policy=CHEAP)
        with pytest.raises(ValueError):
            accounts.create_user(s, "kato", "a-long-password", "superuser", policy=CHEAP)
        token = accounts.start_session(s, user, "10.0.0.1", "pytest")
    with transaction(factory) as s:
        assert accounts.check_password(s, "sato", "a-long-password", policy=CHEAP).role == "editor"
        assert accounts.check_password(s, "sato", "nope", policy=CHEAP) is None
        assert accounts.check_password(s, "nobody", "a-long-password", policy=CHEAP) is None
        row, loaded = accounts.load_session(s, token)
        assert loaded.username == "sato" and len(row.csrf_token) > 20
        assert (
            accounts.load_session(s, token, now=utcnow() + accounts.SESSION_IDLE + timedelta(minutes=1))
            is None
        )
    with transaction(factory) as s:
        assert accounts.load_session(s, token) is None  # the expired session was removed
        for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
            accounts.record_attempt(s, "sato", "10.0.0.2", False)
        assert accounts.is_locked(s, "sato", "10.0.0.9")
        assert accounts.unlock(s, "sato") == accounts.MAX_FAILURES_PER_ACCOUNT
        assert not accounts.is_locked(s, "sato", "10.0.0.9")
        accounts.audit(s, "sato", "faq.update", "juminhyo", {"x": [1, "二"]}, "10.0.0.1")
    with factory() as s:
        (entry,) = accounts.list_audit(s, actor="sato", action="faq.")
        assert entry.detail == {"x": [1, "二"]} and entry.target == "juminhyo"


def test_policy_rehashes_a_password_hashed_with_other_parameters(factory) -> None:
    with transaction(factory) as s:
        accounts.create_user(s, "sato", "a-long-password", "editor", policy=CHEAP)
    stronger = accounts.PasswordPolicy(PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1))
    with transaction(factory) as s:
        assert accounts.check_password(s, "sato", "a-long-password", policy=stronger) is not None
    with factory() as s:
        user = accounts.get_user(s, "sato")
        assert user is not None and not stronger.needs_rehash(user.password_hash)
