"""The action-response check runs only in the Rasa runtime, so its checks run there in a subprocess."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
RASA_PYTHON = REPO / ".venv-rasa" / "bin" / "python"
CHECK_SCRIPT = Path(__file__).with_name("speedups_check.py")

pytestmark = pytest.mark.skipif(
    not RASA_PYTHON.exists(), reason=".venv-rasa is missing: run `make setup` to create the Rasa runtime"
)


def test_action_responses_are_checked_as_rasa_checks_them() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    proc = subprocess.run(
        [str(RASA_PYTHON), str(CHECK_SCRIPT)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-3000:]}"
    assert proc.stdout.strip().startswith("ok "), proc.stdout
