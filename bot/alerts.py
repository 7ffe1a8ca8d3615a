"""Staff alerts: problems staff must see on the dashboard (photo store full, …), raised by the report service,
the upload API and the LINE worker alike."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from bot.storage import reports as repo
from bot.storage.db import transaction

log = logging.getLogger(__name__)


def record_staff_alert(
    factory: sessionmaker[Session], kind: str, message: str, details: dict | None = None
) -> None:
    """Log at ERROR and keep a `staff_alerts` row for the dashboard; never raises (it is the error path)."""
    log.error("staff alert [%s]: %s %s", kind, message, details or "")
    try:
        with transaction(factory) as session:
            repo.add_alert(session, kind, message, details)
    except Exception:
        log.exception("could not record the staff alert [%s]", kind)
