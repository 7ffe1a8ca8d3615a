"""`Checks` for the check scripts that run in the Rasa runtime (`tests/support/rasa_runtime.py`): no pytest
there, so a failed check exits with its message."""

from __future__ import annotations

import sys


class Checks:
    """Counts checks; exits non-zero with the message at the first failed one; `done()` prints ``ok <n>``."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, condition: bool, what: str) -> None:
        self.count += 1
        if not condition:
            sys.exit(f"FAIL: {what}")

    def done(self) -> None:
        print(f"ok {self.count}")
