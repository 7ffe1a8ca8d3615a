"""The action-response check runs only in the Rasa runtime, so its checks run there in a subprocess."""

from __future__ import annotations

from pathlib import Path

from tests.support.rasa_runtime import needs_rasa, run_check_script

pytestmark = needs_rasa


def test_action_responses_are_checked_as_rasa_checks_them() -> None:
    run_check_script(Path(__file__).with_name("speedups_check.py"))
