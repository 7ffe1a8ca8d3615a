"""Staff passwords: how they are hashed (`PasswordPolicy`, argon2id) and which new ones are refused
(`password_problem`: too short, too repetitive, or common and easy to guess).

"Common" is zxcvbn's judgement, from the lists it ships (the most frequent passwords of public breaches, English
words, names, keyboard patterns, dates) plus the account's own name: a password it expects to fall in fewer than
10^8 guesses (score below 3) is refused. `password12` and `1234567890` are refused; a long phrase is not.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

if TYPE_CHECKING:
    from bot.settings import Settings

MIN_LENGTH = 10
MAX_LENGTH = 256  # the login form takes no more
MIN_DISTINCT = 4
MIN_SCORE = 3  # zxcvbn: "safely unguessable", at least 10^8 guesses
ZXCVBN_MAX = 72  # zxcvbn refuses longer input; the first 72 characters are judged
_ZXCVBN = threading.Lock()  # zxcvbn keeps the user inputs in a module-level dictionary while it scores

TOO_SHORT = f"パスワードは{MIN_LENGTH}文字以上にしてください (at least {MIN_LENGTH} characters)"
TOO_LONG = f"パスワードは{MAX_LENGTH}文字以下にしてください (at most {MAX_LENGTH} characters)"
REPETITIVE = "同じ文字の繰り返しは使えません (too few distinct characters)"
COMMON = (
    "よく使われているパスワードや推測されやすいパスワードは使えません。流出したパスワードの一覧にあるもの、"
    "単語や名前・日付・連続した文字の組み合わせ、ユーザー名を含むものは避け、関係のない単語を3つ以上つなげるなど、"
    "長く推測されにくいものにしてください (too common or easy to guess)"
)


def password_problem(password: str, user_inputs: Sequence[str] = ()) -> str | None:
    """Why a new password is refused (a Japanese message), or None. `user_inputs`: the account's username and
    display name, which the password must not lean on."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    if len(set(password)) < MIN_DISTINCT:
        return REPETITIVE
    inputs = [value for value in user_inputs if value] + ["madoguchi"]
    with _ZXCVBN:
        score = zxcvbn(password[:ZXCVBN_MAX], user_inputs=inputs)["score"]
    if score < MIN_SCORE:
        return COMMON
    return None


class PasswordPolicy:
    """How staff passwords are hashed and checked: argon2 with the cost the settings name (the library's
    defaults unless configured), or the cheap parameters tests pass
    (``PasswordPolicy(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))``).
    Build one per process and pass it as ``policy=`` to `create_user`, `set_password` and `check_password`."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordPolicy:
        """argon2 with MADOGUCHI_PASSWORD_TIME_COST / _MEMORY_KIB / _PARALLELISM."""
        return cls(
            PasswordHasher(
                time_cost=settings.password_time_cost,
                memory_cost=settings.password_memory_kib,
                parallelism=settings.password_parallelism,
            )
        )

    @cached_property
    def _dummy(self) -> str:
        """Verified against when the user does not exist, so timing does not reveal which names exist."""
        return self.hasher.hash("not-a-real-password-0f3a")

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def matches(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` fits the stored hash; the same work when there is none (``None``)."""
        try:
            self.hasher.verify(stored if stored is not None else self._dummy, password)
        except (VerificationError, InvalidHashError):
            return False
        return stored is not None

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)
