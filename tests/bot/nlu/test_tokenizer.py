"""The Japanese tokenizer runs only in the Rasa runtime, so its checks run there in a subprocess."""

from __future__ import annotations

from pathlib import Path

from tests.support.rasa_runtime import needs_rasa, run_check_script

pytestmark = needs_rasa


def test_japanese_tokenizer_tokens_offsets_and_features() -> None:
    run_check_script(Path(__file__).with_name("tokenizer_check.py"))
