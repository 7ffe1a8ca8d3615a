"""The gateway's services (bot/services.py): built once from the settings; heavy parts built lazily, once."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.services import Services
from bot.settings import Settings
from bot.storage.db import migrate


@pytest.fixture
def services(settings: Settings):  # type: ignore[no-untyped-def]
    settings.ensure_dirs()
    migrate(settings.db_url)
    built = Services.build(settings)
    yield built
    built.engine.dispose()


def test_the_clock_is_the_settings_clock(settings: Settings) -> None:
    fixed = settings.model_copy(update={"clock": datetime(2026, 1, 31, 23, 30)})
    migrate(fixed.db_url)
    services = Services.build(fixed)
    assert services.clock.today().isoformat() == "2026-01-31"
    assert services.city_store is services.city_store
    services.engine.dispose()


def test_heavy_parts_are_built_once_on_first_use(services: Services) -> None:
    assert services._embedder is None and services._searcher is None
    searcher = services.searcher
    assert services.searcher is searcher and services.embedder is services.embedder
    assert searcher.rank("住民票", 3) == []  # an empty KB ranks nothing


def test_question_embeddings_are_cached_per_text(services: Services) -> None:
    vectors = services.embed_questions(["ごみの日", "ごみの日", "住民票"])
    assert vectors.shape == (3, services.embedder.dim)
    assert (vectors[0] == vectors[1]).all()
    assert len(services.embed_cache) == 2
    assert services.embed_questions([]).shape == (0, services.embedder.dim)


def test_report_categories_or_none_when_unreadable(services: Services, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert services.report_categories() is not None
    services.settings = services.settings.model_copy(
        update={"report_categories_file": tmp_path / "none.json"}
    )
    assert services.report_categories() is None
