"""Helpers for the action tests: a runtime on a migrated SQLite file with a fixed city clock, a turn runner."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from actions.runtime import FaqSearcher, Runtime
from bot.settings import Settings, load_settings
from bot.storage.db import make_engine, migrate, session_factory
from knowledge.clock import CityClock
from knowledge.kb import FaqEntry
from knowledge.search import Hit, SearchOutcome

ROOT = Path(__file__).resolve().parents[2]
DEMO_DIR = ROOT / "knowledge" / "data" / "city"
PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


@cache
def domain_responses() -> dict[str, list[dict[str, Any]]]:
    """The responses of the real domain.yml, as Rasa reads them."""
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


def render(message: dict[str, Any]) -> str:
    """The text a resident reads for one dispatcher message: its `text`, or its domain.yml response with the
    placeholders filled from the message's keyword arguments as Rasa does (a missing one fails the test)."""
    name = message.get("response")
    if not name:
        return str(message.get("text") or "")
    assert name in domain_responses(), f"{name} is not a response of domain.yml"
    template = str(domain_responses()[name][0]["text"])
    names = set(PLACEHOLDER.findall(template))
    missing = names - set(message)
    assert not missing, f"{name}: no value for {sorted(missing)}"
    return PLACEHOLDER.sub(lambda m: str(message[m.group(1)]), template)


def bot_events(messages: list[dict]) -> list[dict[str, Any]]:
    """The tracker events Rasa records for the dispatcher messages: the rendered text, the response's name as
    `utter_action` in the metadata."""
    return [
        {
            "event": "bot",
            "text": render(m) or None,
            "metadata": {"utter_action": m["response"]} if m.get("response") else {},
        }
        for m in messages
    ]


def responses(messages: list[dict]) -> list[str]:
    """The names of the domain.yml responses the dispatcher was told to send, in order."""
    return [m["response"] for m in messages if m.get("response")]


class UnknownSearcher:
    """The FAQ searcher as seen by the garbage fallback: never confident."""

    def search(self, text: str, k: int = 3, strict: bool = False, today: Any = None) -> SearchOutcome:
        return SearchOutcome(decision="unknown", hits=[], reason="test")

    def entry(self, faq_id: str) -> None:
        return None


@dataclass
class ScriptedSearcher:
    """An FAQ searcher with a fixed decision over fixed hits (none when "unknown") that records how it was asked;
    `entry` knows only `entries`."""

    decision: str
    hits: list[Hit]
    entries: list[FaqEntry]
    calls: list[dict[str, Any]] = field(default_factory=list)

    def search(self, text: str, k: int = 3, strict: bool = False, today: Any = None) -> SearchOutcome:
        self.calls.append({"text": text, "strict": strict, "today": today})
        hits = [] if self.decision == "unknown" else self.hits
        return SearchOutcome(decision=self.decision, hits=hits, reason="scripted")  # type: ignore[arg-type]

    def entry(self, faq_id: str) -> FaqEntry | None:
        return next((e for e in self.entries if e.id == faq_id), None)


def sure_of(entry: FaqEntry, decision: str = "answer") -> ScriptedSearcher:
    """A searcher whose decision is `decision`, `entry` first among its hits."""
    return ScriptedSearcher(
        decision, [Hit(entry.id, 0.9, entry.question), Hit("other-001", 0.4, "…")], [entry]
    )


@dataclass
class CityEnv:
    rt: Runtime
    slots: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.rt.settings

    @property
    def factory(self) -> sessionmaker[Session]:
        return self.rt.factory

    def at(self, moment: datetime) -> None:
        """Set the city clock of the following turns to ``moment`` (naive city time)."""
        self.rt.clock = CityClock(moment)

    def run(
        self,
        action: Action,
        text: str,
        *,
        sender: str = "web-resident-1",
        metadata: dict[str, Any] | None = None,
        intent: str | None = None,
        history: list[dict[str, Any]] | None = None,
    ) -> tuple[str, list[dict], list[dict]]:
        """One turn (after the tracker events `history`): returns (all visible text joined, responses rendered
        from domain.yml, the dispatcher messages, the events)."""
        tracker = Tracker(
            sender_id=sender,
            slots=dict(self.slots),
            latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0},
                            "entities": [], "metadata": metadata or {"channel": "web"}},
            events=list(history or []), paused=False, followup_action=None, active_loop={}, latest_action_name=None,
        )  # fmt: skip
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action.run(dispatcher, tracker, {}))
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        visible = "\n".join(t for t in (render(m) for m in dispatcher.messages) if t)
        return visible, dispatcher.messages, events


def make_env(tmp_path: Path, now: datetime, searcher: FaqSearcher | None = None, **overrides: Any) -> CityEnv:
    """A runtime on the demo city whose clock stands at ``now`` (naive city time); the FAQ searcher is
    ``searcher`` or one that never finds anything."""
    settings = load_settings(data_dir=tmp_path / "var", embedder="hashing", env="test",
                             secret_key="test-secret-key-not-for-production", rasa_port=9, actions_port=9,
                             city_data_dir=DEMO_DIR, **overrides)  # fmt: skip
    settings.ensure_dirs()
    migrate(settings.db_url)
    factory = session_factory(make_engine(settings.db_url))
    rt = Runtime.assemble(settings, factory, searcher or UnknownSearcher(), clock=CityClock(now))
    return CityEnv(rt)


def metas(messages: list[dict]) -> list[dict]:
    return [m["custom"]["madoguchi"] for m in messages if (m.get("custom") or {}).get("madoguchi")]


def buttons(messages: list[dict]) -> list[dict]:
    return [b for m in messages for b in (m.get("buttons") or [])]
