"""Staff edits of the city's settings (``city_settings``): an overlay on the city folder's ``city.json``.

Each save appends a row holding the whole overlay (only what differs from ``city.json``, in the shape
:meth:`knowledge.city.CityProfile.with_overlay` reads) with who saved it; the newest row is live. The newest id
is part of the city data revision :class:`bot.live_citydata.CityDataStore` polls, so a save is live in every
process within seconds, like an import.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.storage.db import Base, utcnow


class CitySettingsRow(Base):
    __tablename__ = "city_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    overlay: Mapped[dict] = mapped_column()  # see knowledge.city.CityProfile.with_overlay
    actor: Mapped[str] = mapped_column(String(128))
    saved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def current_overlay(session: Session) -> dict[str, Any]:
    """The live overlay ({} when staff never saved the settings)."""
    row = session.scalar(select(CitySettingsRow).order_by(CitySettingsRow.id.desc()).limit(1))
    return dict(row.overlay) if row is not None else {}


def save_overlay(session: Session, overlay: dict[str, Any], actor: str) -> CitySettingsRow:
    """Store a new overlay, live once the session commits (the earlier rows stay as the history)."""
    row = CitySettingsRow(overlay=dict(overlay), actor=actor)
    session.add(row)
    session.flush()
    return row


def settings_revision(session: Session) -> int:
    """Changes whenever staff save the settings (the newest id)."""
    return int(session.scalar(select(func.max(CitySettingsRow.id))) or 0)
