"""Parse phrases with the trained model and print the results as JSON (run with .venv-rasa/bin/python).

    .venv-rasa/bin/python tests/conversation/nlu_probe.py models/madoguchi.tar.gz < phrases.txt

One phrase per input line; output: one line ``NLU_PROBE_JSON [{"text", "intent", "confidence", "ranking": [[name, conf], ...],
"entities": [[entity, value], ...]}]``. Used by test_rasa.py; handy on its own for checking a phrase.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys

MARKER = "NLU_PROBE_JSON "


async def parse_all(model_path: str, phrases: list[str]) -> list[dict]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # rasa's structlog debug lines go to stdout otherwise

    agent = Agent.load(model_path)
    results = []
    for phrase in phrases:
        parsed = await agent.parse_message(phrase)
        results.append(
            {
                "text": phrase,
                "intent": parsed["intent"]["name"],
                "confidence": round(float(parsed["intent"]["confidence"]), 4),
                "ranking": [
                    [r["name"], round(float(r["confidence"]), 4)]
                    for r in parsed.get("intent_ranking", [])[:3]
                ],
                "entities": [[e["entity"], e["value"]] for e in parsed.get("entities", [])],
            }
        )
    return results


def main() -> None:
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.disable(logging.WARNING)
    phrases = [line.strip() for line in sys.stdin if line.strip()]
    results = asyncio.run(parse_all(sys.argv[1], phrases))
    sys.stdout.write(MARKER + json.dumps(results, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
