"""Rasa 3.6 checks every action server response with ``jsonschema.validate``, which first validates the *schema*
against the JSON Schema meta-schema — on every call. Measured on this machine: 22 ms of CPU per remote action
call, against 0.3 ms for checking the response alone with a validator built once (``bench/floor.py`` profiles
showed it as the largest single cost of a bare Rasa turn). `install()` swaps Rasa's check for the same check of
the same schema with a validator compiled once: a response Rasa refused before is refused now, with the same
error (`jsonschema.exceptions.best_match`, as ``validate`` raises).

Loading a conversation from the tracker store turns every stored event back into an object, and Rasa finds each
event's class by walking every subclass of ``Event`` (``Event.resolve_by_type`` → ``all_subclasses``, a recursive
list built afresh per event): 9.8 % of the Rasa process's samples in a 30-turn session, 13 ms to load 164 events.
`install()` remembers each type name's class after the first lookup (the same class the walk finds; unknown names
still go through Rasa's own lookup, with its default and its error).

Installed by the madoguchi channel (`bot.nlu.channel`) when Rasa loads it; a Rasa whose ``RemoteAction`` lacks
the method (another version) is left as it is.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

DOCS_HINT = (
    ". Failed to validate Action server response from API, make sure your response from the Action endpoint is "
    "valid. For more information about the format visit {docs}/custom-actions"
)


def install() -> bool:
    """Replace ``RemoteAction._validate_action_result``; True when it was (or already is) replaced."""
    from jsonschema import validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    original = getattr(RemoteAction, "_validate_action_result", None)
    if original is None:
        logger.warning("rasa RemoteAction has no _validate_action_result: speed-up not installed")
        return False
    if getattr(original, "_madoguchi", False):
        return True
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, here, instead of on every action call
    validator = cls(schema)

    def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is not None:
            error.message += DOCS_HINT.format(docs=DOCS_BASE_URL)
            raise error
        return True

    validate_action_result._madoguchi = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    _remember_event_classes()
    return True


def _remember_event_classes() -> None:
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    if getattr(original, "_madoguchi", False):
        return
    known: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        found = known.get(type_name)
        if found is None:
            found = original(type_name, default)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    resolve_by_type._madoguchi = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[assignment,method-assign]
