"""Staff password rules and hashing (bot/storage/passwords.py): common and guessable passwords are refused with
a Japanese message, from the lists zxcvbn ships; long phrases pass."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from bot.storage.passwords import COMMON, PasswordPolicy, password_problem

CHEAP = PasswordPolicy(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.mark.parametrize(
    "password",
    ["password12", "1234567890", "qwertyuiop", "iloveyou123", "P@ssw0rd123", "1qaz2wsx3edc", "abcdefghij"],
)
def test_common_and_guessable_passwords_are_refused(password: str) -> None:
    assert password_problem(password) == COMMON
    assert "よく使われている" in COMMON and "推測されやすい" in COMMON


def test_a_password_leaning_on_the_account_name_is_refused() -> None:
    assert password_problem("takahashi-2024") is None
    assert password_problem("takahashi-2024", ["takahashi"]) == COMMON


@pytest.mark.parametrize("password", ["correct-horse-battery", "yuki-kaidan-momiji-84", "kd8#mQ2!zp"])
def test_long_or_random_passwords_pass(password: str) -> None:
    assert password_problem(password) is None


def test_length_and_repetition_come_first() -> None:
    assert "10文字以上" in (password_problem("Zq8#x") or "")
    assert "256文字以下" in (password_problem("correct-horse-battery-" * 20) or "")
    assert "同じ文字の繰り返し" in (password_problem("abababababab") or "")
    # past zxcvbn's 72 characters the start is judged: a common one made long by repetition is still refused
    assert password_problem("password" * 10) == COMMON


def test_policy_hashes_and_checks() -> None:
    stored = CHEAP.hash("correct-horse-battery")
    assert CHEAP.matches(stored, "correct-horse-battery")
    assert not CHEAP.matches(stored, "correct-horse-batterx")
    assert not CHEAP.matches(None, "correct-horse-battery")  # no such user: the same work, never a match
    assert not CHEAP.needs_rehash(stored)
