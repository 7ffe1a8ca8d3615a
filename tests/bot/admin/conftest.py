"""Console tests hash passwords cheaply (the fixtures themselves are in tests/support/admin.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _cheap_hashing(cheap_password_hashing: None) -> None:
    """Every console test uses the cheap argon2 parameters."""
