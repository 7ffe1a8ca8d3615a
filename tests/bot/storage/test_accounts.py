"""Staff accounts storage on SQLite and PostgreSQL: users, sessions, the second factor, audit log (the lock-out:
test_signin.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from bot.storage import accounts, signin
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
            assert signin.take_guess(s, "sato", "10.0.0.2")
            signin.record_attempt(s, "sato", "10.0.0.2", False)
        assert signin.is_locked(s, "sato", "10.0.0.9")
        assert signin.unlock(s, "sato") == accounts.MAX_FAILURES_PER_ACCOUNT
        assert not signin.is_locked(s, "sato", "10.0.0.9")
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


def test_a_common_password_is_refused_for_new_and_changed_passwords(factory) -> None:
    with transaction(factory) as s:
        with pytest.raises(ValueError, match="よく使われている"):
            accounts.create_user(s, "sato", "password12", "editor", policy=CHEAP)
        with pytest.raises(ValueError, match="よく使われている"):
            accounts.create_user(s, "kimura", "kimura2024!", "editor", policy=CHEAP)  # leans on the name
        user = accounts.create_user(s, "sato", "a-long-password", "editor", policy=CHEAP)
        with pytest.raises(ValueError, match="よく使われている"):
            accounts.set_password(s, user, "1234567890", policy=CHEAP)


def test_roles_that_unmask_personal_data_must_enrol_a_second_factor(factory) -> None:
    with transaction(factory) as s:
        users = {
            role: accounts.create_user(s, role, "a-long-password", role, policy=CHEAP)
            for role in accounts.ROLES
        }
        assert {role for role, user in users.items() if accounts.must_enrol(user)} == {
            "admin",
            "report_handler",
        }
        accounts.set_totp(s, users["admin"], "A" * 32, 1000)
        assert not accounts.must_enrol(users["admin"])


def test_a_totp_step_is_spent_once(factory) -> None:
    with transaction(factory) as s:
        user = accounts.create_user(s, "sato", "a-long-password", "admin", policy=CHEAP)
        accounts.set_totp(s, user, "A" * 32, 1000)  # the code that confirmed the enrolment
    with transaction(factory) as s:
        user = accounts.get_user(s, "sato")
        assert not accounts.use_totp_step(s, user, 1000)  # the enrolment's code again
        assert accounts.use_totp_step(s, user, 1001)
        assert not accounts.use_totp_step(s, user, 1001)  # never twice
        assert not accounts.use_totp_step(s, user, 1000)  # nor an older one
    with factory() as s:
        assert accounts.get_user(s, "sato").totp_last_step == 1001


def test_reset_totp_removes_the_factor_and_ends_the_sessions(factory) -> None:
    with transaction(factory) as s:
        user = accounts.create_user(s, "sato", "a-long-password", "report_handler", policy=CHEAP)
        accounts.set_totp(s, user, "A" * 32, 1000)
        token = accounts.start_session(s, user, "10.0.0.1", "pytest")
    with transaction(factory) as s:
        accounts.reset_totp(s, accounts.get_user(s, "sato"))
    with factory() as s:
        user = accounts.get_user(s, "sato")
        assert (user.totp_secret, user.totp_last_step) == (None, None) and accounts.must_enrol(user)
        assert accounts.load_session(s, token) is None
