"""What the console borrows from the rest of the gateway: the live FAQ searcher, the embedder, and the
modules of the reports and LINE concerns (used only when they are installed)."""

from __future__ import annotations

import importlib.util
import threading
from typing import Any

import numpy as np
from fastapi import FastAPI

from bot.live_search import LiveSearcher
from knowledge.embedders import Embedder
from knowledge.search import Hit

_lock = threading.Lock()
_EMBED_CACHE_MAX = 20_000


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def reports_available() -> bool:
    return _has("bot.storage.reports") and _has("bot.reports.service")


def line_available() -> bool:
    return _has("bot.storage.line_inbox")


def embedder(app: FastAPI) -> Embedder:
    with _lock:
        existing = getattr(app.state, "faq_embedder", None)
        if existing is None:
            from knowledge.embedders import make_embedder

            existing = make_embedder(app.state.settings.embedder)
            existing.warm_up()
            app.state.faq_embedder = existing
        return existing


def searcher(app: FastAPI) -> LiveSearcher:
    """The gateway's LiveSearcher (created on first use); it follows every KB write within a second."""
    existing = getattr(app.state, "live_searcher", None)
    if existing is not None:
        return existing
    model = embedder(app)
    with _lock:
        existing = getattr(app.state, "live_searcher", None)
        if existing is None:
            settings = app.state.settings
            synonyms = settings.synonyms_file if settings.synonyms_file.exists() else None
            existing = LiveSearcher(
                app.state.session_factory, model, cache_dir=settings.index_dir, synonyms=synonyms
            )
            existing.refresh(force=True)
            app.state.live_searcher = existing
        return existing


def rank(live: LiveSearcher, query: str, k: int = 3) -> list[Hit]:
    """The best `k` entries by score whatever the decision (the staff's test box shows them all)."""
    ranker = getattr(live, "rank", None)
    if ranker is not None:
        return ranker(query, k)
    live.refresh()
    inner = live._searcher  # noqa: SLF001 - LiveSearcher exposes no ranking yet
    return inner.rank(query, k) if inner is not None else []


def embed_questions(app: FastAPI, texts: list[str]) -> np.ndarray:
    """Query embeddings of `texts`, cached per text for the life of the process."""
    model = embedder(app)
    cache: dict[tuple[str, str], Any] | None = getattr(app.state, "admin_embed_cache", None)
    if cache is None:
        cache = app.state.admin_embed_cache = {}
    missing = [t for t in dict.fromkeys(texts) if (model.name, t) not in cache]
    if missing:
        if len(cache) + len(missing) > _EMBED_CACHE_MAX:
            cache.clear()
        for text, vector in zip(missing, model.embed_queries(missing), strict=True):
            cache[(model.name, text)] = vector
    if not texts:
        return np.zeros((0, model.dim), dtype=np.float32)
    return np.vstack([cache[(model.name, t)] for t in texts])


def report_categories(app: FastAPI):  # type: ignore[no-untyped-def]
    """The reports concern's category table (labels, departments), or None when not available."""
    if not reports_available():
        return None
    from bot.reports.categories import load_categories

    try:
        return load_categories(app.state.settings.report_categories_file)
    except (ValueError, AttributeError):
        return None
