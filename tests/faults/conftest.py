"""Fixtures for the fault-injection tests (helpers in fault_support.py; the fake LINE API is
channels/line/fake.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# appended, not prepended: other test folders import their own `conftest` by name
sys.path.append(str(Path(__file__).parent))
sys.path.append(str(Path(__file__).resolve().parents[1] / "channels" / "line"))

from fault_support import ACCESS_TOKEN, PrivateCluster, pg_bindir  # noqa: E402

from channels.line.fake import FakeLine  # noqa: E402


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivateCluster]:
    """A private PostgreSQL cluster for this module (never the shared server at :5432)."""
    bindir = pg_bindir()
    if bindir is None:
        message = "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = PrivateCluster(bindir)
    try:
        cluster.init()
    except Exception:
        cluster.destroy()
        raise
    yield cluster
    cluster.destroy()


@pytest.fixture
def fake_line() -> Iterator[FakeLine]:
    with FakeLine(access_token=ACCESS_TOKEN, hang_s=1.0) as fake:
        yield fake
