"""What the action server holds for its lifetime, passed to every action it serves.

One :class:`Runtime` per process, built by ``actions/server.py``: settings, database sessions, the live FAQ
searcher, the live city data and the city clock. Every action takes it in its constructor
(``ActionSearchFaq(rt)``); tests build their own with a scripted searcher and a fixed clock.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from rasa_sdk import Action
from sqlalchemy.orm import Session, sessionmaker

from bot.live_citydata import CityData, CityDataStore
from bot.live_search import LiveSearcher
from bot.reports.categories import CategoryTable, load_categories
from bot.reports.photos import PhotoStore
from bot.settings import Settings
from bot.storage.db import make_engine, migrate, session_factory
from knowledge.clock import CityClock
from knowledge.kb import FaqEntry
from knowledge.search import SearchOutcome

log = logging.getLogger(__name__)


class FaqSearcher(Protocol):
    """What the actions ask of the FAQ search (`bot.live_search.LiveSearcher` in the server)."""

    def search(
        self, query: str, k: int = 3, strict: bool = False, today: date | None = None
    ) -> SearchOutcome: ...

    def entry(self, faq_id: str) -> FaqEntry | None: ...


@dataclass
class Runtime:
    settings: Settings
    factory: sessionmaker[Session]
    searcher: FaqSearcher
    store: CityDataStore
    clock: CityClock

    @classmethod
    def assemble(
        cls,
        settings: Settings,
        factory: sessionmaker[Session],
        searcher: FaqSearcher,
        clock: CityClock | None = None,
    ) -> Runtime:
        """A runtime on existing parts: the city data from ``settings.city_data_dir`` (and its database
        imports), the clock ``clock`` or else the settings' (``MADOGUCHI_CLOCK`` fixes it)."""
        store = CityDataStore(factory, settings.city_data_dir)
        return cls(settings, factory, searcher, store, clock or settings.city_clock())

    @classmethod
    def start(cls, settings: Settings) -> Runtime:
        """The action server's runtime, ready to serve: the database migrated, the FAQ index warmed up and
        the city data loaded (a bad file fails at start-up, not on a resident's first question)."""
        settings.ensure_dirs()
        migrate(settings.db_url)
        factory = session_factory(make_engine(settings.db_url))
        searcher = LiveSearcher.from_settings(factory, settings)
        searcher.warm_up()
        rt = cls.assemble(settings, factory, searcher)
        rt.city()
        return rt

    def city(self) -> CityData:
        """The city's current data (a staff import is live within seconds)."""
        return self.store.get()

    def categories(self) -> CategoryTable:
        return load_categories(self.settings.report_categories_file)

    def photos(self) -> PhotoStore:
        return PhotoStore.from_settings(self.settings)

    def contact(self) -> tuple[str, str, str]:
        """The city's counter as (counter, phone, hours): the configured values, or staff's console edits."""
        s = self.settings
        configured = (s.contact_counter, s.contact_phone, s.contact_hours)
        try:
            return self.city().contact_fields(*configured)
        except Exception:  # the database is away: the configured counter still helps the resident
            log.warning("city settings unavailable; giving the configured contact", exc_info=True)
            return configured

    def contact_text(self) -> str:
        counter, phone, hours = self.contact()
        return f"{counter}\n電話: {phone}\n受付時間: {hours}"

    def contact_fill(self) -> dict[str, str]:
        """The placeholders of the city's counter in a domain.yml response: {counter}, {phone}, {hours}."""
        counter, phone, hours = self.contact()
        return {"counter": counter, "phone": phone, "hours": hours}


class RuntimeAction(Action):
    """An action that answers from the runtime it was built with."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt


def meta(**values: Any) -> dict[str, Any]:
    """The machine-readable part of a turn, read by the gateway (see docs/contracts.md)."""
    return {"madoguchi": {k: v for k, v in values.items() if v is not None}}


def message_metadata(tracker: Any) -> dict[str, Any]:
    data = (tracker.latest_message or {}).get("metadata") or {}
    return data if isinstance(data, dict) else {}


PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


def render_response(domain: dict[str, Any], name: str, **fill: Any) -> str | None:
    """The text Rasa sends for the response `name` of the domain it passed to the action, placeholders filled
    the way Rasa fills them (None when the domain has no such response)."""
    variants = (domain.get("responses") or {}).get(name) or []
    text = variants[0].get("text") if variants else None
    if not isinstance(text, str):
        return None
    return PLACEHOLDER.sub(lambda m: str(fill[m[1]]) if m[1] in fill else m[0], text)
