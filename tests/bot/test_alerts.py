"""bot.alerts: a staff alert is logged and kept for the dashboard, and recording one never raises."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.orm import sessionmaker

from bot.alerts import record_staff_alert
from bot.storage import reports as repo


def test_an_alert_is_kept_for_the_dashboard(factory, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.ERROR, logger="bot.alerts"):
        record_staff_alert(factory, "photo_store_unavailable", "disk full", {"channel": "web"})
    assert "staff alert [photo_store_unavailable]: disk full" in caplog.text
    with factory() as session:
        assert repo.open_alert_counts(session) == {"photo_store_unavailable": 1}


def test_recording_an_alert_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.alerts"):
        record_staff_alert(sessionmaker(), "photo_store_unavailable", "disk full")  # no database bound
    assert "could not record the staff alert [photo_store_unavailable]" in caplog.text
