"""Checks for bot.nlu.speedups, run with the Rasa runtime: ``.venv-rasa/bin/python tests/bot/nlu/speedups_check.py``.
Prints ``ok <n>``; exits non-zero on a failed check."""

from __future__ import annotations

from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import bot.nlu.channel  # noqa: F401 - loading the channel installs the speed-up, as in Rasa
from bot.nlu import speedups
from tests.support.rasa_checks import Checks

check = Checks()


check(getattr(RemoteAction._validate_action_result, "_madoguchi", False), "the channel installed the check")
check(speedups.install(), "installing twice is harmless")
remote = RemoteAction("action_search_faq", None)
check(
    remote._validate_action_result({"events": [{"event": "slot", "name": "a", "value": 1}], "responses": []}),
    "ok",
)
for bad in ({"events": "none"}, {"events": [{"event": "slot"}]}, {"responses": [3]}):
    try:
        remote._validate_action_result(bad)
        check(False, f"{bad} is refused")
    except ValidationError as exc:
        check(
            "Failed to validate Action server response" in exc.message, f"the error says why: {exc.message}"
        )
# event classes by type name: the same classes, the same default and error for an unknown name
from rasa.shared.core.events import Event, SessionStarted, SlotSet, UserUttered  # noqa: E402

check(getattr(Event.resolve_by_type, "_madoguchi", False), "event classes are remembered")
for _ in range(2):  # the second time from memory
    check(Event.resolve_by_type("user") is UserUttered, "user")
    check(
        Event.resolve_by_type("slot") is SlotSet
        and SlotSet.resolve_by_type("session_started") is SessionStarted,
        "",
    )
check(Event.resolve_by_type("no_such_event", SlotSet) is SlotSet, "an unknown name gives the default")
check(Event.resolve_by_type("topic") is None, "Rasa's old 'topic' events still resolve to nothing")
try:
    Event.resolve_by_type("no_such_event")
    check(False, "an unknown name without a default is an error")
except ValueError:
    pass
check(Event.resolve_by_type("no_such_event", UserUttered) is UserUttered, "the default is never remembered")
check.done()
