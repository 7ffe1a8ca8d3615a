"""docs/privacy.md must stay true to the code: the tables and columns it names exist, every table (and so every
one holding personal data) is in its inventory, and the retention settings and defaults it states are the
settings' own."""

from __future__ import annotations

import re
from pathlib import Path

from bot.admin.security import PERMISSIONS
from bot.settings import Settings
from bot.storage.accounts import ROLE_LABELS, ROLES
from bot.storage.all_models import metadata

DOC = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"
RASA_TABLES = {"events"}  # Rasa's tracker store: Rasa's schema, in the same database
# Column names that mean a row says something about a person (resident or staff).
PERSONAL = {
    "sender", "sender_ref", "user_key", "user_id", "pseudonym", "reporter", "reporter_ref", "text", "comment",
    "description", "address_text", "payload", "outbox", "value", "area", "ip", "user_agent", "username",
    "display_name", "actor", "note", "target", "last_error",
}  # fmt: skip


def section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def first_column(markdown: str) -> list[str]:
    """The backticked names in the first cell of each table row."""
    names: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            names += re.findall(r"`([^`]+)`", line.split("|")[1])
    return names


def inventory() -> set[str]:
    return {n for n in first_column(section("What is stored")) if "/" not in n and " " not in n}


def test_every_table_named_exists() -> None:
    assert inventory() - set(metadata.tables) - RASA_TABLES == set()


def test_every_table_is_in_the_inventory_and_personal_ones_cannot_be_missed() -> None:
    tables = set(metadata.tables)
    personal = {name for name, table in metadata.tables.items() if PERSONAL & set(table.columns.keys())}
    assert personal, "the heuristic found no personal data at all"
    assert personal - inventory() == set(), "tables holding personal data missing from docs/privacy.md"
    assert tables - inventory() == set(), "tables missing from docs/privacy.md"


def test_every_column_named_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    for table, column in re.findall(r"`([a-z_]+)\.([a-z_]+)`", text):
        if table in metadata.tables:
            assert column in metadata.tables[table].columns, f"{table}.{column}"


def test_retention_settings_and_defaults_match_the_code() -> None:
    stated = {}
    for line in section("Retention").splitlines():
        found = re.match(r"\| `(retention_\w+_days)` \| (\d+) \|", line)
        if found:
            stated[found.group(1)] = int(found.group(2))
    fields = {name: f.default for name, f in Settings.model_fields.items() if name.startswith("retention_")}
    assert stated == fields
    mentioned = set(re.findall(r"retention_\w+_days", DOC.read_text(encoding="utf-8")))
    assert mentioned <= set(fields), mentioned - set(fields)


def test_roles_are_the_consoles_roles() -> None:
    rows = section("Who can see what")
    assert set(first_column(rows)) == set(ROLES)
    for role in ROLES:
        assert ROLE_LABELS[role] in rows
    unmaskers = {role for role in ROLES if role in PERMISSIONS["pii.unmask"]}
    assert unmaskers == {"admin"}  # the page says only administrators may unmask
