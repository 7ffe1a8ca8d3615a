"""The actions' resident-facing texts are domain.yml responses: every response an action names exists, and its
placeholders are the kind Rasa fills from the action's keyword arguments."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.citydata import PLACEHOLDER, domain_responses, render

ACTIONS = Path(__file__).resolve().parents[2] / "actions"


def named_responses() -> tuple[set[str], set[str]]:
    """(response names written out in actions/*.py, prefixes of those built with an f-string)."""
    names, prefixes = set(), set()
    for path in ACTIONS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith("utter_")
            ):
                names.add(node.value)
            if isinstance(node, ast.JoinedStr) and node.values:
                first = node.values[0]
                if isinstance(first, ast.Constant) and str(first.value).startswith("utter_"):
                    prefixes.add(str(first.value))
    return names, prefixes


def test_every_response_an_action_names_is_in_the_domain() -> None:
    names, prefixes = named_responses()
    responses = set(domain_responses())
    exact = names - {"utter_action"}  # the key under which Rasa records a response's name, not a response
    missing = {n for n in exact if n not in responses and not any(r.startswith(n) for r in responses)}
    assert not missing, f"responses named in actions/ but missing from domain.yml: {sorted(missing)}"
    assert all(any(r.startswith(p) for r in responses) for p in prefixes)
    assert len(names | prefixes) > 20


def test_every_response_has_one_japanese_text_with_plain_placeholders() -> None:
    for name, variants in domain_responses().items():
        text = variants[0]["text"]
        assert text.strip(), name
        for placeholder in PLACEHOLDER.findall(text):
            assert placeholder.isidentifier() and placeholder not in ("text", "image", "buttons", "custom"), (
                name
            )


def test_rendering_fills_the_placeholders_from_the_message() -> None:
    message = {"response": "utter_report_photos_received", "count": 2}
    assert render(message) == "写真を受け取りました(計2枚)。"
    assert render({"text": "そのまま"}) == "そのまま"
