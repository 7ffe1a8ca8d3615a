"""channels/line stays a protocol edge: no Rasa, no actions, no gateway internals."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = ("rasa", "rasa_sdk", "actions", "bot")
ROOT = Path(__file__).resolve().parents[2] / "channels" / "line"


def test_channels_line_imports_only_what_it_may() -> None:
    bad = []
    for path in ROOT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            bad += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert bad == []
