"""Shared CLI plumbing: settings and a migrated database for a command."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings, load_settings
from bot.storage.db import make_engine, migrate, session_factory


@dataclass
class CliContext:
    settings: Settings
    factory: sessionmaker[Session]


def open_context() -> CliContext:
    settings = load_settings()
    settings.ensure_dirs()
    migrate(settings.db_url)
    return CliContext(settings=settings, factory=session_factory(make_engine(settings.db_url)))
