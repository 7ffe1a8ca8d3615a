"""The live FAQ searcher: a `knowledge.search.FaqSearcher` over the FAQ entries stored in the database.

Every process that answers (the action server, the gateway's console, the CLI) builds one `LiveSearcher`; it
polls the KB revision (`kb_state.revision`) at most every `poll_s` and rebuilds its index when staff edited
the FAQ, so an edit is searchable in every process within a second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bot.settings import REPO_ROOT, Settings
from bot.storage import faq_repo
from knowledge.embedders import Embedder, make_embedder
from knowledge.normalize import load_synonyms
from knowledge.query_cache import QueryCache
from knowledge.ranker import RankerModel
from knowledge.search import FaqSearcher, Hit, SearchOutcome

log = logging.getLogger(__name__)


class LiveSearcher:
    """Wraps a `FaqSearcher`; re-reads the KB when `kb_state.revision` moved (checked every `poll_s`)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        embedder: Embedder,
        cache_dir: Path | None = None,
        synonyms: Path | None = None,
        poll_s: float = 0.5,
        second_embedder: Embedder | None = None,
        ranker: RankerModel | None = None,
    ) -> None:
        self._factory = factory
        self._embedder = embedder
        self._second_embedder = second_embedder
        self._ranker = ranker
        self._cache_dir = cache_dir
        self._synonyms = load_synonyms(synonyms) if synonyms else None
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self._searcher: FaqSearcher | None = None
        self._revision = -1
        self._checked = 0.0

    @classmethod
    def from_settings(
        cls, factory: sessionmaker[Session], settings: Settings, embedder: Embedder | None = None
    ) -> LiveSearcher:
        """The searcher the settings describe: embedders, the city's synonyms, the learned ranker."""
        # query vectors are remembered: a turn that searches twice, or a question residents repeat, costs one
        second = (
            None
            if settings.second_embedder in ("", "none")
            else QueryCache(make_embedder(settings.second_embedder))
        )
        ranker = None
        if settings.ranker_file.strip():
            path = Path(settings.ranker_file)
            ranker = RankerModel.load(path if path.is_absolute() else REPO_ROOT / path)
        return cls(
            factory,
            QueryCache(embedder or make_embedder(settings.embedder, settings.question_model)),
            cache_dir=settings.index_dir,
            synonyms=settings.synonyms_file if settings.synonyms_file.exists() else None,
            second_embedder=second,
            ranker=ranker,
        )

    def query_cache_stats(self) -> dict[str, dict[str, float]]:
        """Hits and misses of each embedder's query cache (`QueryCache`), by embedder name."""
        out = {}
        for embedder in (self._embedder, self._second_embedder):
            if isinstance(embedder, QueryCache):
                out[embedder.name] = embedder.stats()
        return out

    def warm_up(self, progress: Callable[[int, int], None] | None = None) -> None:
        self._embedder.warm_up()
        if self._second_embedder is not None:
            self._second_embedder.warm_up()
        self.refresh(force=True, progress=progress)

    @property
    def revision(self) -> int:
        return self._revision

    def _new_searcher(self) -> FaqSearcher:
        return FaqSearcher(
            self._embedder,
            cache_dir=self._cache_dir,
            synonyms=self._synonyms,
            second_embedder=self._second_embedder,
            ranker=self._ranker,
        )

    def refresh(self, force: bool = False, progress: Callable[[int, int], None] | None = None) -> bool:
        """Rebuild when the KB changed; returns True when it rebuilt."""
        now = time.monotonic()
        if not force and self._searcher is not None and now - self._checked < self._poll_s:
            return False
        with self._lock:
            self._checked = time.monotonic()
            with self._factory() as session:
                current = faq_repo.revision(session)
                if not force and current == self._revision and self._searcher is not None:
                    return False
                entries = faq_repo.list_entries(session)
            searcher = self._searcher if self._searcher is not None and not force else self._new_searcher()
            started = time.perf_counter()
            searcher.rebuild(entries, progress=progress)
            self._searcher = searcher
            self._revision = current
            log.info(
                "FAQ index at revision %s: %d entries in %.0f ms",
                current,
                len(entries),
                (time.perf_counter() - started) * 1000,
            )
            return True

    def search(
        self, query: str, k: int = 3, strict: bool = False, today: date | None = None
    ) -> SearchOutcome:
        self.refresh()
        assert self._searcher is not None, "call warm_up() first"
        return self._searcher.search(query, k=k, strict=strict, today=today)

    def rank(self, query: str, k: int = 3, today: date | None = None) -> list[Hit]:
        """The top-k matches with scores whatever the decision would be (staff tools, evaluation)."""
        self.refresh()
        assert self._searcher is not None, "call warm_up() first"
        return self._searcher.rank(query, k=k, today=today)

    def entry(self, faq_id: str):  # type: ignore[no-untyped-def]
        with self._factory() as session:
            return faq_repo.get_entry(session, faq_id)
