"""The whole stack started by the real launcher (`madoguchi up`) on free ports, driven over HTTP.

One stack for the whole session (Rasa alone takes 30–60 s of CPU to start). Its LINE channel talks to a
loopback fake of the LINE Messaging API (`channels/line/fake.py`) that lives as long as the stack,
and its action server answers at a fixed local time (`MADOGUCHI_CLOCK` = `CLOCK`), so the date-dependent
answers of the demo city (knowledge/data/city) are known in advance.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.run.devstack import StackError, StackProcess, start_stack
from channels.line.fake import FakeLine
from tests.e2e.stack_support import ACCESS_TOKEN, CHANNEL_SECRET, CLOCK, SNOWPLOW_TOKEN, wait_line_idle

Stack = StackProcess


@pytest.fixture(scope="session")
def fake_line_api() -> Iterator[FakeLine]:
    """The fake LINE API the stack's LINE channel uses for the whole session."""
    with FakeLine(access_token=ACCESS_TOKEN, hang_s=1.0) as fake:
        yield fake


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, fake_line_api: FakeLine) -> Iterator[StackProcess]:
    try:
        running = start_stack(
            tmp_path_factory.mktemp("stack") / "var",
            LINE_CHANNEL_SECRET=CHANNEL_SECRET,
            LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
            LINE_API_BASE_URL=fake_line_api.base_url,
            LINE_DATA_API_BASE_URL=fake_line_api.base_url,
            MADOGUCHI_SNOWPLOW_TOKEN=SNOWPLOW_TOKEN,
            MADOGUCHI_OPEN311_API_KEY="e2e-open311-key",  # tests/e2e/test_open311_stack.py posts with it
            MADOGUCHI_CLOCK=CLOCK,
        )
    except StackError as exc:
        pytest.fail(str(exc))
    yield running
    code = running.stop()
    assert code == 0, running.log_tail(2000)


@pytest.fixture
def line(stack: StackProcess, fake_line_api: FakeLine) -> Iterator[FakeLine]:
    """The session's fake LINE API, quiet: earlier events all handled, no injected faults left, calls cleared."""
    wait_line_idle(stack)
    fake_line_api.reset()
    yield fake_line_api
    fake_line_api.reset()  # a fault a test injected but did not use must not hit the next test
