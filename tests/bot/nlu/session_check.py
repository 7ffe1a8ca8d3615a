"""Checks for the session summary and limits of bot.nlu (tracker store + channel), run with the Rasa runtime:
``.venv-rasa/bin/python tests/bot/nlu/session_check.py``. Prints ``ok <n>``; exits non-zero on a failed check."""

from __future__ import annotations

import os

from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from bot.nlu.channel import SessionLimits
from bot.nlu.tracker_store import summarise
from tests.support.rasa_checks import Checks

check = Checks()


def user(text: str, at: float, intent: str = "ask_faq") -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 0.9}, timestamp=at, message_id=f"m-{at}")


def bot(text: str, utter_action: str | None = None) -> BotUttered:
    return BotUttered(text, metadata={"utter_action": utter_action} if utter_action else {})


old = [SessionStarted(), user("住民票", 1.0), bot("答え"), ActionExecuted("action_listen")]
events = [*old, SessionStarted(), user("ごみ", 100.0), bot("地区は？", "utter_ask_garbage_area")]
s = summarise(events, None)
check(s.turns == 1, f"turns count the current session only: {s.turns}")
check(s.asked, "a reply named utter_ask_… waits for an answer")
check(s.message_id == "m-100.0" and s.intent["name"] == "ask_faq", f"latest message and intent: {s}")
check(s.last_user_at == 100.0, "the latest message's time")
s = summarise([*events, user("中央", 101.0, "inform_area"), bot("月曜です", "utter_garbage_days")], None)
check(not s.asked and s.turns == 2 and s.intent["name"] == "inform_area", f"answered: {s}")
check(summarise([], None).turns == 0, "an empty tracker")

limits = SessionLimits(max_turns=3, quiet_minutes=10)
long = summarise([user(str(i), float(i)) for i in range(3)], None)
check(limits.renew(long, 3.0), "3 messages reach the turn limit")
check(not limits.renew(summarise([user(str(i), float(i)) for i in range(2)], None), 3.0), "2 do not")
check(
    not limits.renew(summarise([user(str(i), float(i)) for i in range(5)], "report_form"), 5.0), "form open"
)
asked = summarise([user("0", 0.0), user("1", 1.0), user("2", 2.0), bot("?", "utter_ask_report_photos")], None)
check(not limits.renew(asked, 3.0), "a question waits for its answer")
quiet = summarise([user("0", 1000.0)], None)  # (Rasa takes a timestamp of 0 for "now")
check(limits.renew(quiet, 1600.0) and not limits.renew(quiet, 1599.0), "10 quiet minutes end a session")
check(not limits.renew(None, 0.0), "no summary (a new conversation)")

os.environ["MADOGUCHI_SESSION_MAX_TURNS"] = "7"
os.environ["MADOGUCHI_SESSION_QUIET_MINUTES"] = "soon"
env = SessionLimits.from_env()
check(
    env.max_turns == 7 and env.quiet_minutes == 60.0,
    f"settings from the environment, bad ones ignored: {env}",
)
os.environ["MADOGUCHI_SESSION_MAX_TURNS"] = "-3"
check(SessionLimits.from_env().max_turns == SessionLimits.max_turns, "a negative limit is ignored")
check.done()
