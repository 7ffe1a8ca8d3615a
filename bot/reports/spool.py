"""Never lose a report: when the database refuses one, it is spooled to disk (`spool_draft`) and filed later
(`replay_spool`, run by the gateway's upkeep and by `madoguchi reports replay-spool`)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import uuid
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bot.reports.categories import CategoryTable
from bot.reports.service import ReportDraft, SubmitOutcome, submit_report
from bot.storage.db import transaction, utcnow
from knowledge.clock import CityClock, to_city_time

log = logging.getLogger(__name__)
SPOOL_CLAIM_STALE_S = 600.0  # a claimed spool file older than this belonged to a process that died


def spool_draft(spool_dir: Path, draft: ReportDraft) -> Path:
    """Keep a report the database could not take; `replay_spool` files it later."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    path = spool_dir / f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.json"
    tmp = path.with_suffix(".tmp")  # a replayer never sees a half-written file
    tmp.write_text(
        json.dumps({"draft": asdict(draft), "spooled_at": utcnow().isoformat()}, ensure_ascii=False),
        encoding="utf-8",
    )
    os.replace(tmp, path)
    log.error("report spooled to %s (database unavailable)", path)
    return path


def _take_back_abandoned_claims(spool_dir: Path) -> None:
    now = time.time()
    for stale in spool_dir.glob("*.replaying"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > SPOOL_CLAIM_STALE_S:
                os.replace(stale, stale.with_suffix(".json"))


def _claim(path: Path) -> Path | None:
    """Rename the file to `.replaying` (atomic: one replayer wins); None when another replayer took it."""
    claimed = path.with_suffix(".replaying")
    try:
        os.rename(path, claimed)
        os.utime(claimed)  # the claim's age, not the spool's, decides when it counts as abandoned
    except FileNotFoundError:
        return None
    return claimed


def _read(claimed: Path) -> tuple[ReportDraft, datetime]:
    data = json.loads(claimed.read_text(encoding="utf-8"))
    return ReportDraft(**data["draft"]), datetime.fromisoformat(data["spooled_at"])


def replay_spool(
    factory: sessionmaker[Session], spool_dir: Path, categories: CategoryTable
) -> list[SubmitOutcome]:
    """File every spooled report (oldest first); a file is removed only after its report is committed.

    Several replayers (gateway workers, the CLI) may run at once: each file is claimed by an atomic rename
    first, so only one of them files it. A claim left by a process that died is taken back after
    `SPOOL_CLAIM_STALE_S`. When the database refuses, the file is given back and the error raised.
    A report is filed as of when it was spooled (its date and its case number's year).
    """
    outcomes: list[SubmitOutcome] = []
    if not spool_dir.is_dir():
        return outcomes
    _take_back_abandoned_claims(spool_dir)
    for path in sorted(spool_dir.glob("*.json")):
        claimed = _claim(path)
        if claimed is None:
            continue
        try:
            draft, spooled_at = _read(claimed)
        except (OSError, ValueError, KeyError, TypeError):
            log.exception("spooled report %s cannot be read; kept as .bad for staff", path.name)
            os.replace(claimed, path.with_suffix(".bad"))
            continue
        at_spooling = CityClock(to_city_time(spooled_at).replace(tzinfo=None))
        try:
            with transaction(factory) as session:
                outcome = submit_report(session, draft, categories, clock=at_spooling)
        except BaseException:
            os.replace(claimed, path)
            raise
        claimed.unlink()
        outcomes.append(outcome)
    return outcomes
