"""The gateway's services: one typed object `create_app` builds and routes reach through `bot.deps`.

Cheap parts (settings, database, Rasa client, chat service, city clock, password policy) are built at once; heavy ones (the
embedding model, the live FAQ searcher) and the city-data store are built on first use, once per process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.chat import ChatService
from bot.live_citydata import CityDataStore
from bot.live_search import LiveSearcher
from bot.messages import for_settings
from bot.rasa import RasaClient
from bot.reports.categories import CategoryTable, load_categories
from bot.settings import Settings
from bot.storage.accounts import PasswordPolicy
from bot.storage.db import make_engine, session_factory
from knowledge.clock import CityClock
from knowledge.embedders import Embedder, make_embedder
from knowledge.reading import Reader

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.requests import HTTPConnection

EMBED_CACHE_MAX = (
    20_000  # query embeddings kept per process (the unanswered clusters re-embed the same texts)
)


@dataclass(eq=False)
class Services:
    """What the gateway's routes and background jobs share."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    rasa: RasaClient
    chat: ChatService
    clock: CityClock
    passwords: PasswordPolicy  # how the admin console hashes and checks staff passwords
    # one client for /healthz's probes: a new one per probe built a TLS context each time, ~35 ms of CPU on the
    # event loop per monitoring poll (measured with cProfile while a burst of LINE webhooks was arriving)
    probe: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=2.0), repr=False)
    # hiragana readings for the widget's furigana (its Japanese tokenizer starts on the first request)
    reader: Reader = field(default_factory=Reader, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    _embedder: Embedder | None = field(default=None, init=False, repr=False)
    _searcher: LiveSearcher | None = field(default=None, init=False, repr=False)
    _city_store: CityDataStore | None = field(default=None, init=False, repr=False)
    embed_cache: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Connect to the (already migrated) database and wire the chat service to Rasa."""
        engine = make_engine(settings.db_url)
        factory = session_factory(engine)
        rasa = RasaClient(settings.rasa_url_list, timeout_s=settings.rasa_timeout_s)
        chat = ChatService(
            factory,
            rasa,
            settings.secret_key.get_secret_value(),
            contact=settings.contact,
            messages=for_settings(settings),
        )
        return cls(
            settings,
            engine,
            factory,
            rasa,
            chat,
            settings.city_clock(),
            PasswordPolicy.from_settings(settings),
        )

    @property
    def embedder(self) -> Embedder:
        """The FAQ embedding model, loaded and warmed up on first use."""
        with self._lock:
            if self._embedder is None:
                model = make_embedder(self.settings.embedder, self.settings.question_model)
                model.warm_up()
                self._embedder = model
            return self._embedder

    @property
    def searcher(self) -> LiveSearcher:
        """The gateway's LiveSearcher (built on first use); it follows every KB write within a second."""
        with self._lock:
            if self._searcher is None:
                live = LiveSearcher.from_settings(self.factory, self.settings, embedder=self.embedder)
                live.refresh(force=True)
                self._searcher = live
            return self._searcher

    @property
    def city_store(self) -> CityDataStore:
        """This process's city data (staff imports are picked up on the next read)."""
        with self._lock:
            if self._city_store is None:
                self._city_store = CityDataStore(self.factory, self.settings.city_data_dir)
            return self._city_store

    def report_categories(self) -> CategoryTable | None:
        """The reports concern's category table (labels, departments), or None when its file is unreadable."""
        try:
            return load_categories(self.settings.report_categories_file)
        except ValueError:
            return None

    def embed_questions(self, texts: list[str]) -> np.ndarray:
        """Query embeddings of `texts`, cached per text for the life of the process."""
        model = self.embedder
        cache = self.embed_cache
        missing = [t for t in dict.fromkeys(texts) if (model.name, t) not in cache]
        if missing:
            if len(cache) + len(missing) > EMBED_CACHE_MAX:
                cache.clear()
            for text, vector in zip(missing, model.embed_queries(missing), strict=True):
                cache[(model.name, text)] = vector
        if not texts:
            return np.zeros((0, model.dim), dtype=np.float32)
        return np.vstack([cache[(model.name, t)] for t in texts])

    async def aclose(self) -> None:
        await self.rasa.aclose()
        await self.probe.aclose()
        self.engine.dispose()


def services_of(app: FastAPI) -> Services:
    """The services `create_app` put on `app.state` (for code that has the app, not a request)."""
    services: Services = app.state.services
    return services


def request_services(connection: HTTPConnection) -> Services:
    """The services of the app serving this request."""
    return services_of(connection.app)
