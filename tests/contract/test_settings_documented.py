"""Every setting is documented in .env.example (the README points there for the full list)."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def env_names() -> list[str]:
    return [field.alias or f"MADOGUCHI_{name.upper()}" for name, field in Settings.model_fields.items()]


def test_env_example_lists_every_setting() -> None:
    documented = {
        line.split("=", 1)[0].strip()
        for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    missing = [name for name in env_names() if name not in documented]
    assert not missing, f"add to .env.example: {missing}"


def test_env_example_names_only_real_settings() -> None:
    known = set(env_names())
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            name = line.split("=", 1)[0].strip()
            assert name in known, f".env.example names {name}, which no setting reads"
