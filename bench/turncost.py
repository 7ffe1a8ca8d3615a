"""Where a chat turn's time goes (one resident, sequential turns, idle machine): gateway → Rasa (NLU + policies +
tracker store) → action server (FAQ search). Run: `python -m bench.turncost`; prints medians per layer."""

from __future__ import annotations

import statistics
import time
import uuid
from pathlib import Path

import httpx

from bot.run.devstack import start_stack
from bot.settings import REPO_ROOT

LONG_TURNS = 120  # one resident who keeps talking: Rasa replays the whole session's events on every turn
QUESTIONS = [
    "住民票はどこで取れますか",
    "粗大ごみの出し方を教えて",
    "児童手当の申請方法は？",
    "マイナンバーカードを作りたい",
    "犬の登録はどうすればいい",
]


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def timed(fn, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(rounds):
        started = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - started)
    return out


def main(rounds: int = 40) -> dict[str, float]:
    data_dir = REPO_ROOT / "var" / "bench" / "turncost"
    import shutil

    shutil.rmtree(data_dir, ignore_errors=True)
    stack = start_stack(Path(data_dir), MADOGUCHI_CHAT_RATE_PER_MINUTE="1000000")
    rasa = f"http://127.0.0.1:{stack.env['MADOGUCHI_RASA_PORT']}"  # its HTTP API stays off (no /model/parse)
    actions = f"http://127.0.0.1:{stack.env['MADOGUCHI_ACTIONS_PORT']}"
    try:
        with httpx.Client(timeout=30) as client:
            q = lambda i: QUESTIONS[i % len(QUESTIONS)]  # noqa: E731
            for i in range(5):  # warm every path
                client.post(f"{stack.url}/api/v1/chat", json={"sender_id": f"warm{i}", "text": q(i)})
            action_body = lambda i: {  # noqa: E731
                "next_action": "action_search_faq",
                "sender_id": f"tc-{uuid.uuid4().hex[:6]}",
                "tracker": {"sender_id": "tc", "slots": {}, "latest_message": {"text": q(i), "intent": {
                    "name": "nlu_fallback", "confidence": 0.5}, "entities": [], "metadata": {}},
                    "events": [], "paused": False, "followup_action": None, "active_loop": {},
                    "latest_action_name": None},
                "domain": {},
                "version": "3.6.21",
            }  # fmt: skip
            action = timed(lambda i: client.post(f"{actions}/webhook", json=action_body(i)), rounds)
            rasa_turn = timed(
                lambda i: client.post(
                    f"{rasa}/webhooks/madoguchi/webhook",
                    json={"sender": f"tc-r-{i}", "message": q(i), "metadata": {"channel": "web"}},
                ),
                rounds,
            )
            gateway = timed(
                lambda i: client.post(
                    f"{stack.url}/api/v1/chat", json={"sender_id": f"tc-g-{i}", "text": q(i)}
                ),
                rounds,
            )
            long_talk = timed(
                lambda i: client.post(
                    f"{stack.url}/api/v1/chat", json={"sender_id": "tc-long", "text": q(i)}
                ),
                LONG_TURNS,
            )
    finally:
        stack.stop()
    result = {
        "action_search_faq_ms": median_ms(action),
        "rasa_turn_incl_action_ms": median_ms(rasa_turn),
        "gateway_turn_ms": median_ms(gateway),
    }
    # NLU (tokenizer + DIET), policies, and the SQL tracker store's read + replay + write
    result["rasa_own_ms"] = round(result["rasa_turn_incl_action_ms"] - result["action_search_faq_ms"], 1)
    result["long_conversation_first10_ms"] = median_ms(long_talk[:10])
    result["long_conversation_last10_ms"] = median_ms(long_talk[-10:])
    result["gateway_own_ms"] = round(result["gateway_turn_ms"] - result["rasa_turn_incl_action_ms"], 1)
    return result


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key:28} {value:8.1f}")
