"""What the action server holds for its lifetime: settings, database sessions, the live FAQ searcher."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.live_citydata import current_store
from bot.live_search import LiveSearcher
from bot.settings import Settings, load_settings
from bot.storage.db import make_engine, migrate, session_factory
from knowledge.embedders import make_embedder


@dataclass
class Runtime:
    settings: Settings
    factory: sessionmaker[Session]
    searcher: LiveSearcher

    @classmethod
    def create(cls, settings: Settings | None = None) -> Runtime:
        settings = settings or load_settings()
        settings.ensure_dirs()
        migrate(settings.db_url)
        factory = session_factory(make_engine(settings.db_url))
        searcher = LiveSearcher(
            factory,
            make_embedder(settings.embedder),
            cache_dir=settings.index_dir,
            synonyms=settings.synonyms_file if settings.synonyms_file.exists() else None,
        )
        return cls(settings=settings, factory=factory, searcher=searcher)

    def contact_text(self) -> str:
        s = self.settings
        return f"{s.contact_counter}\n電話: {s.contact_phone}\n受付時間: {s.contact_hours}"


_runtime: Runtime | None = None
_lock = threading.Lock()


def runtime() -> Runtime:
    """The process-wide runtime, created on first use (the server entry point warms it up first)."""
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = Runtime.create()
            _runtime.searcher.warm_up()
        return _runtime


def install(rt: Runtime) -> None:
    """Use this runtime (tests and the server entry point)."""
    global _runtime
    with _lock:
        _runtime = rt


def city_today() -> date:
    """Today in the city (Japan time; the fixed MADOGUCHI_CLOCK in tests of date-dependent answers)."""
    rt = runtime()
    return current_store(rt.factory, rt.settings.city_data_dir).now().date()


def meta(**values: Any) -> dict[str, Any]:
    """The machine-readable part of a turn, read by the gateway (see docs/contracts.md)."""
    return {"madoguchi": {k: v for k, v in values.items() if v is not None}}


def message_metadata(tracker: Any) -> dict[str, Any]:
    data = (tracker.latest_message or {}).get("metadata") or {}
    return data if isinstance(data, dict) else {}
