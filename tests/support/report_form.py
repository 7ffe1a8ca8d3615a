"""Helpers for the report form's action tests: a runtime on a migrated SQLite file, photos, and a `Form` that
carries the slots from turn to turn like Rasa does.

Each turn is built the way Rasa 3.6 calls the validator from the form: latest action = report_form, and this
turn's slot candidates as trailing slot events.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.engine import Engine

from actions.report_form import ValidateReportForm
from actions.report_parsing import SLOTS
from actions.runtime import Runtime
from bot.reports.photos import PhotoStore
from bot.settings import Settings, load_settings
from bot.storage.db import make_engine, migrate, session_factory
from tests.support.citydata import UnknownSearcher, bot_events, domain_responses, render

SENDER = "line-0123456789abcdef"
# the domain as Rasa sends it to the action server (the real responses of domain.yml)
DOMAIN: dict[str, Any] = {
    "forms": {"report_form": {"required_slots": list(SLOTS)}},
    "slots": {},
    "responses": domain_responses(),
}
GPS = (35.6812, 139.7671)


def report_runtime(tmp_path: Path) -> tuple[Runtime, Engine]:
    """A runtime on a fresh database, with the emergency numbers the hazard tests look for."""
    settings = load_settings(
        data_dir=tmp_path / "var",
        embedder="hashing",
        env="test",
        secret_key="test-secret-key-not-for-production",
        road_emergency_phone="000-0000-1190",
        water_emergency_phone="000-0000-2190",
    )
    settings.ensure_dirs()
    migrate(settings.db_url)
    engine = make_engine(settings.db_url)
    return Runtime.assemble(settings, session_factory(engine), UnknownSearcher()), engine


def photo(settings: Settings, gps: tuple[float, float] | None = None, owner: str = SENDER) -> str:
    image = Image.new("RGB", (16, 16), (10, 120, 10))
    exif = Image.Exif()
    if gps:
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[ExifTags.GPS.GPSLatitudeRef], info[ExifTags.GPS.GPSLatitude] = "N", (gps[0], 0.0, 0.0)
        info[ExifTags.GPS.GPSLongitudeRef], info[ExifTags.GPS.GPSLongitude] = "E", (gps[1], 0.0, 0.0)
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif)
    return PhotoStore.from_settings(settings).store_photo(buf.getvalue(), "image/jpeg", owner=owner).photo_id


class Form:
    """Carries the slots from turn to turn like Rasa does."""

    def __init__(self, rt: Runtime, sender: str = SENDER) -> None:
        self.rt = rt
        self.sender = sender
        self.slots: dict[str, Any] = {name: None for name in SLOTS} | {"requested_slot": None}
        self.history: list[dict[str, Any]] = [{"event": "active_loop", "name": "report_form"}]

    def tracker(
        self,
        text: str,
        candidates: dict[str, Any] | None = None,
        metadata: dict | None = None,
        latest_action: str = "report_form",
    ) -> Tracker:
        candidates = candidates or {}
        events = [*self.history, {"event": "user", "text": text}, {"event": "action", "name": latest_action}]
        events += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
        return Tracker(
            sender_id=self.sender,
            slots={**self.slots, **candidates},
            latest_message={
                "text": text,
                "intent": {},
                "entities": [],
                "metadata": {"channel": "line", "resident_key": "ref-9", **(metadata or {})},
            },
            events=events,
            paused=False,
            followup_action=None,
            active_loop={"name": "report_form"},
            latest_action_name=latest_action,
        )

    def turn(
        self, text: str, candidates: dict[str, Any] | None = None, metadata: dict | None = None
    ) -> tuple[list[dict], list[str]]:
        """Run the validator for one user message, apply its SlotSets, return (events, texts)."""
        dispatcher = CollectingDispatcher()
        events = asyncio.run(
            ValidateReportForm(self.rt).run(dispatcher, self.tracker(text, candidates, metadata), DOMAIN)
        )
        for event in events:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
        self.history += [{"event": "user", "text": text}]
        self.history += bot_events(dispatcher.messages)
        self.history += [e for e in events if e["event"] == "slot"]
        # the form asks for the first empty slot next, unless the validator ended the form
        if not any(e["event"] == "slot" and e["name"] == "requested_slot" for e in events):
            self.slots["requested_slot"] = next((s for s in SLOTS if self.slots[s] is None), None)
        return events, [t for t in (render(m) for m in dispatcher.messages) if t]

    def act(
        self, action: Action, text: str = "", metadata: dict | None = None
    ) -> tuple[list[dict], list[dict]]:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(
            action.run(
                dispatcher, self.tracker(text, metadata=metadata, latest_action="action_listen"), DOMAIN
            )
        )
        return events, dispatcher.messages


def texts(messages: list[dict]) -> str:
    """What the resident reads: texts, and responses rendered from domain.yml."""
    return "\n".join(render(m) for m in messages)


def metas(messages: list[dict]) -> list[dict]:
    return [m["custom"]["madoguchi"] for m in messages if "madoguchi" in (m.get("custom") or {})]
