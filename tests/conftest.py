"""Shared fixtures: settings in a temp data dir, databases (SQLite and the real PostgreSQL), app client."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from bot.settings import Settings, load_settings
from bot.storage.db import make_engine, migrate, session_factory

# Property tests explore the same examples on every run (a red CI run is reproducible, never luck);
# `HYPOTHESIS_PROFILE=explore` searches afresh when hunting for new bugs.
hypothesis_settings.register_profile("repeatable", derandomize=True, deadline=None)
hypothesis_settings.register_profile("explore", max_examples=1000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# Fixtures shared by tests in several folders (the console, the LINE channel, the widget).
pytest_plugins = ["tests.support.admin", "tests.support.line", "tests.support.web"]

PG_ADMIN_URL = os.environ.get("MADOGUCHI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["Etc/GMT+12", "Etc/GMT-14"])
def far_server_tz(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test on a server clock of UTC-12, then of UTC+14.

    At any moment at least one of the two is on a different calendar date from Japan, so code that takes "today"
    from the server's local date instead of the city's fails one of the two runs, whatever the hour of the CI run.
    """
    saved = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_available() -> bool:
    return _pg_available()


@pytest.fixture
def postgres_url(pg_available: bool) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    if not pg_available:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL at 127.0.0.1:5432 is required in CI")
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    import psycopg

    name = f"madoguchi_test_{uuid.uuid4().hex[:10]}"
    admin = PG_ADMIN_URL.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on both databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def factory(db_url: str):  # type: ignore[no-untyped-def]
    migrate(db_url)
    engine = make_engine(db_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an in-process app: temp data dir, SQLite, the fast deterministic test embedder."""
    return load_settings(
        data_dir=tmp_path / "var",
        embedder="hashing",
        env="test",
        secret_key="test-secret-key-not-for-production",
        rasa_port=9,
        actions_port=9,
    )


@pytest.fixture
def app_client(settings: Settings):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from bot.app import create_app

    with TestClient(create_app(settings)) as client:
        yield client
