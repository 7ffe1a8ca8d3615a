"""The session summary and limits run only in the Rasa runtime, so their checks run there in a subprocess."""

from __future__ import annotations

from pathlib import Path

from tests.support.rasa_runtime import needs_rasa, run_check_script

pytestmark = needs_rasa


def test_session_summary_and_when_a_long_or_quiet_session_gives_way() -> None:
    run_check_script(Path(__file__).with_name("session_check.py"))
