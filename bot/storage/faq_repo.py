"""FAQ knowledge base in the database: CRUD with history, and a revision counter every process polls."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.storage.db import utcnow
from bot.storage.models import FaqHistory, FaqRow, KbState
from knowledge.kb import FaqEntry

FIELDS = [f.name for f in dataclasses.fields(FaqEntry)]


def to_entry(row: FaqRow) -> FaqEntry:
    return FaqEntry(**{name: getattr(row, name) for name in FIELDS})


def entry_dict(entry: FaqEntry) -> dict:
    """A JSON-safe snapshot of an entry (for history and APIs)."""
    data = dataclasses.asdict(entry)
    for key in ("valid_from", "valid_to"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


def entry_from_dict(data: dict) -> FaqEntry:
    values: dict[str, Any] = {name: data.get(name) for name in FIELDS}
    for key in ("valid_from", "valid_to"):
        if isinstance(values[key], str) and values[key]:
            values[key] = date.fromisoformat(values[key])
        elif not values[key]:
            values[key] = None
    values["alt_questions"] = list(values["alt_questions"] or [])
    values["keywords"] = list(values["keywords"] or [])
    values["translations"] = dict(values["translations"] or {})
    for key in ("category", "department", "url", "answer_en", "answer_easy"):
        values[key] = values[key] or ""
    return FaqEntry(**values)


def revision(session: Session) -> int:
    return session.scalar(select(KbState.revision).where(KbState.id == 1)) or 0


def bump_revision(session: Session) -> None:
    result = session.execute(
        update(KbState).where(KbState.id == 1).values(revision=KbState.revision + 1, updated_at=utcnow())
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(KbState(id=1, revision=1))
    session.flush()


def list_entries(session: Session) -> list[FaqEntry]:
    return [to_entry(row) for row in session.scalars(select(FaqRow).order_by(FaqRow.id))]


def get_entry(session: Session, faq_id: str) -> FaqEntry | None:
    row = session.get(FaqRow, faq_id)
    return to_entry(row) if row else None


def count(session: Session) -> int:
    return len(session.scalars(select(FaqRow.id)).all())


def _record(
    session: Session, faq_id: str, action: str, before: FaqEntry | None, after: FaqEntry | None, actor: str
) -> None:
    session.add(
        FaqHistory(
            faq_id=faq_id,
            action=action,
            actor=actor,
            before=entry_dict(before) if before else None,
            after=entry_dict(after) if after else None,
        )
    )


def save_entry(session: Session, entry: FaqEntry, actor: str, action: str | None = None) -> str:
    """Create or update one entry; returns the action recorded (`create` / `update`)."""
    row = session.get(FaqRow, entry.id)
    before = to_entry(row) if row else None
    if before == entry:
        return "unchanged"
    if row is None:
        row = FaqRow(id=entry.id)
        session.add(row)
    for name in FIELDS:
        setattr(row, name, getattr(entry, name))
    if before is not None:
        row.version = (row.version or 1) + 1
    done = action or ("update" if before else "create")
    _record(session, entry.id, done, before, entry, actor)
    bump_revision(session)
    return done


def delete_entry(session: Session, faq_id: str, actor: str) -> bool:
    row = session.get(FaqRow, faq_id)
    if row is None:
        return False
    _record(session, faq_id, "delete", to_entry(row), None, actor)
    session.delete(row)
    bump_revision(session)
    return True


def apply_import(session: Session, entries: Sequence[FaqEntry], actor: str, replace: bool = False) -> dict:
    """Apply already-validated entries in the caller's transaction.

    merge (default): entries with a known id are updated, new ids created, others kept.
    replace: afterwards the KB holds exactly `entries` (others deleted, with history).
    """
    counts = {"create": 0, "update": 0, "unchanged": 0, "delete": 0}
    incoming = {e.id for e in entries}
    if replace:
        for row in session.scalars(select(FaqRow)).all():
            if row.id not in incoming:
                _record(session, row.id, "delete", to_entry(row), None, actor)
                session.delete(row)
                counts["delete"] += 1
    for entry in entries:
        counts[save_entry(session, entry, actor)] += 1
    bump_revision(session)
    return counts


def history(session: Session, faq_id: str | None = None, limit: int = 100) -> list[FaqHistory]:
    query = select(FaqHistory).order_by(FaqHistory.id.desc()).limit(limit)
    if faq_id:
        query = query.where(FaqHistory.faq_id == faq_id)
    return list(session.scalars(query))


def revert(session: Session, history_id: int, actor: str) -> FaqEntry | None:
    """Restore the state an entry had before the given change (undoing that change)."""
    change = session.get(FaqHistory, history_id)
    if change is None:
        raise LookupError(f"history {history_id} not found")
    if change.before is None:  # the change created it: undo = delete
        delete_entry(session, change.faq_id, actor)
        return None
    entry = entry_from_dict(change.before)
    save_entry(session, entry, actor, action="revert")
    return entry


def seed_if_empty(session: Session, entries: Iterable[FaqEntry], actor: str = "seed") -> int:
    if session.scalar(select(FaqRow.id).limit(1)) is not None:
        return 0
    entries = list(entries)
    for entry in entries:
        save_entry(session, entry, actor)
    return len(entries)
