"""Checks of code that runs only in the Rasa runtime (`.venv-rasa`): a test runs a check script there in a
subprocess and asserts it printed ``ok <n>``. The scripts count their checks with `tests.support.rasa_checks.Checks`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RASA_PYTHON = REPO / ".venv-rasa" / "bin" / "python"

needs_rasa = pytest.mark.skipif(
    not RASA_PYTHON.exists(), reason=".venv-rasa is missing: run `make setup` to create the Rasa runtime"
)


def run_check_script(script: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    proc = subprocess.run(
        [str(RASA_PYTHON), str(script)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-3000:]}"
    assert proc.stdout.strip().startswith("ok "), proc.stdout
