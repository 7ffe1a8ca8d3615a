"""A resident unsent (took back) a LINE message: madoguchi forgets it as well.

The stored text goes (`messages` rows carry LINE's message id, and the unanswered-log entry made from it), the
photo stored from an image goes (its file and sidecar; a report that used it keeps its row, marked deleted), and
an event still waiting in the inbox is dropped, so the message is never answered. Rasa's own tracker keeps the
turn until its retention period (docs/privacy.md).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import anyio
from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.storage import conversations
from bot.storage import line_inbox as inbox
from bot.storage.db import utcnow
from bot.storage.reports import ReportPhoto

log = logging.getLogger(__name__)


class PhotoFiles(Protocol):
    def path_for(self, photo_id: str) -> Any: ...


def forget(session: Session, resident_key: str, message_id: str) -> tuple[bool, int, str | None]:
    """(dropped from the inbox, stored messages deleted, photo id) for the unsent message `message_id`."""
    dropped, photo_id = inbox.take_back(session, resident_key, message_id)
    deleted = conversations.forget_line_message(session, resident_key, message_id)
    if photo_id:
        session.execute(
            update(ReportPhoto)
            .where(ReportPhoto.photo_id == photo_id, ReportPhoto.deleted_at.is_(None))
            .values(deleted_at=utcnow())
        )
    return dropped, deleted, photo_id


def delete_photo(photos: PhotoFiles, photo_id: str) -> None:
    path = photos.path_for(photo_id)
    if not isinstance(path, Path):
        return
    for leftover in (path, path.with_suffix(".json")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


async def take_back(
    db: Callable[[Callable[[Session], Any]], Awaitable[Any]],
    photos: PhotoFiles | None,
    resident_key: str,
    message_id: str,
) -> None:
    dropped, deleted, photo_id = await db(lambda s: forget(s, resident_key, message_id))
    if photo_id and photos is not None:
        await anyio.to_thread.run_sync(lambda: delete_photo(photos, photo_id))
    log.info(
        "LINE unsend: %d stored message(s) deleted%s%s",
        deleted,
        ", the waiting event dropped" if dropped else "",
        ", its photo deleted" if photo_id else "",
    )
