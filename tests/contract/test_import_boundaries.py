"""The import rules of STYLE.md, checked by walking every module's AST."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "knowledge": {"rasa", "rasa_sdk", "fastapi", "actions", "channels", "bot", "starlette", "sqlalchemy"},
    "actions": {"rasa", "fastapi", "channels", "starlette"},
    "channels": {"rasa", "rasa_sdk", "actions"},
    "bot/nlu": {
        "bot.storage",
        "bot.app",
        "bot.chat",
        "knowledge",
        "actions",
        "channels",
        "fastapi",
        "rasa_sdk",
    },
    "bot": {"rasa", "rasa_sdk", "actions"},
}
# actions may use the shared storage API and settings of bot, nothing else of it.
ACTIONS_MAY_USE_BOT = (
    "bot.storage",
    "bot.settings",
    "bot.privacy",
    "bot.line.push",
    "bot.reports.photos",
    "bot.reports.service",
    "bot.reminders.delivery",
    "bot.live_citydata",
    "bot.live_search",
)


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def violations(package: str, banned: set[str]) -> list[str]:
    found = []
    root = REPO / package
    for path in root.rglob("*.py"):
        rel = path.relative_to(REPO).as_posix()
        if package == "bot" and rel.startswith("bot/nlu/"):
            continue
        for name in imported_modules(path):
            for ban in banned:
                if name == ban or name.startswith(ban + "."):
                    found.append(f"{rel} imports {name}")
            if (
                package == "actions"
                and (name == "bot" or name.startswith("bot."))
                and not name.startswith(ACTIONS_MAY_USE_BOT)
            ):
                found.append(f"{rel} imports {name} (actions may only use bot's storage/settings API)")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_import_rules(package: str) -> None:
    assert violations(package, FORBIDDEN[package]) == []
