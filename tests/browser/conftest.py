"""Fixtures of the widget's browser tests (tests/browser/test_widget_browser_*.py): one in-process gateway, fake
Rasa and fake city page per test module, one headless Chromium per module, a fresh page per test.

The console's tests (test_admin_browser.py) define their own `browser` fixture, which takes precedence there.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.run.launcher import free_port
from bot.settings import Settings
from tests.support.widget_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CityPage,
    FakeRasa,
    Stack,
    add_upload_stub_if_missing,
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (make setup)")
        pytest.skip(f"{CHROMIUM} is not installed (make setup)")
    import uvicorn

    from bot.app import create_app
    from bot.settings import load_settings

    rasa = FakeRasa(free_port())
    rasa.start()
    gw_port, city_port = free_port(), free_port()
    settings: Settings = load_settings(
        data_dir=tmp_path_factory.mktemp("widget") / "var",
        embedder="hashing",
        env="test",
        secret_key="test-secret-key-not-for-production",
        rasa_port=rasa.port,
        actions_port=9,
        cors_origins=f"http://127.0.0.1:{city_port}",
        chat_rate_per_minute=300,
    )
    app = create_app(settings)
    uploads: list[dict[str, Any]] = []
    add_upload_stub_if_missing(app, uploads)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=gw_port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "gateway did not start"
        time.sleep(0.05)
    gateway = f"http://127.0.0.1:{gw_port}"
    city = CityPage(city_port, gateway)
    yield Stack(gateway=gateway, city_url=city.url, rasa=rasa, app=app, uploads=uploads)
    city.stop()
    server.should_exit = True
    thread.join(10)
    rasa.stop()


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Any, stack: Stack) -> Iterator[Any]:
    ctx = browser.new_context(
        locale="ja-JP",
        viewport={"width": 1280, "height": 900},
        geolocation={"latitude": 43.062096, "longitude": 141.354376},
        permissions=["geolocation"],
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any, stack: Stack) -> Any:
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    page.goto(stack.city_url)
    page.locator(".mg-launcher").wait_for(state="visible")
    return page
