"""The live FAQ searcher (bot/live_search.py): built from the database, rebuilt when the KB revision moves
(checked at most every `poll_s`), so an edit made by another process is searchable within a second."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.live_search import LiveSearcher
from bot.storage import faq_repo
from bot.storage.db import transaction
from knowledge.clock import CityClock
from knowledge.embedders import make_embedder
from knowledge.kb import FaqEntry

JUMINHYO = FaqEntry(
    id="juminhyo",
    question="住民票の写しはどこで取れますか",
    answer="市民課の窓口かコンビニで取れます。",
    alt_questions=["住民票がほしい"],
)
SODAI = FaqEntry(id="sodai-gomi", question="粗大ごみの出し方を教えてください", answer="受付センターへ。")
PASSPORT = FaqEntry(id="passport", question="パスポートの申請はどこでできますか", answer="県の窓口です。")


@pytest.fixture
def seeded(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(factory) as session:
        faq_repo.seed_if_empty(session, [JUMINHYO, SODAI])
    return factory


def _save(factory: sessionmaker[Session], entry: FaqEntry) -> None:
    with transaction(factory) as session:
        faq_repo.save_entry(session, entry, "test")


def _ids(live: LiveSearcher, query: str, today: date | None = None) -> list[str]:
    return [hit.faq_id for hit in live.rank(query, 3, today=today)]


def test_a_search_before_the_warm_up_builds_the_index_first(seeded: sessionmaker[Session]) -> None:
    live = LiveSearcher(seeded, make_embedder("hashing"), poll_s=3600)  # the poll interval does not delay it
    assert live.revision == -1
    assert live.search("住民票").hits
    assert live.revision >= 0


def test_warm_up_indexes_the_stored_entries(seeded: sessionmaker[Session]) -> None:
    live = LiveSearcher(seeded, make_embedder("hashing"), poll_s=0)
    progress: list[tuple[int, int]] = []
    live.warm_up(progress=lambda done, total: progress.append((done, total)))
    with seeded() as session:
        assert live.revision == faq_repo.revision(session) > 0
    assert _ids(live, "住民票がほしい")[0] == "juminhyo"
    outcome = live.search("住民票がほしい", k=2)
    assert outcome.hits[0].faq_id == "juminhyo" and len(outcome.hits) <= 2
    assert progress and progress[-1][0] == progress[-1][1]
    assert live.entry("sodai-gomi") == SODAI and live.entry("nope") is None


def test_an_edit_by_another_process_is_picked_up(seeded: sessionmaker[Session]) -> None:
    live = LiveSearcher(seeded, make_embedder("hashing"), poll_s=0)
    live.warm_up()
    before = live.revision
    assert "passport" not in _ids(live, "パスポートの申請")
    _save(seeded, PASSPORT)  # the console, in another process, writes to the same database
    assert _ids(live, "パスポートの申請")[0] == "passport"
    assert live.revision > before
    assert live.refresh() is False  # nothing changed since: no rebuild


def test_the_revision_is_checked_at_most_every_poll_interval(seeded: sessionmaker[Session]) -> None:
    live = LiveSearcher(seeded, make_embedder("hashing"), poll_s=3600)
    live.warm_up()
    _save(seeded, PASSPORT)
    assert live.refresh() is False  # checked just now (at warm-up): the database is not asked again
    assert "passport" not in _ids(live, "パスポートの申請")
    assert live.refresh(force=True) is True
    assert _ids(live, "パスポートの申請")[0] == "passport"


def test_a_deleted_entry_is_no_longer_found(seeded: sessionmaker[Session]) -> None:
    live = LiveSearcher(seeded, make_embedder("hashing"), poll_s=0)
    live.warm_up()
    with transaction(seeded) as session:
        faq_repo.delete_entry(session, "juminhyo", "test")
    assert "juminhyo" not in _ids(live, "住民票がほしい")


def test_entries_are_shown_on_the_city_day_asked_for(
    seeded: sessionmaker[Session], far_server_tz: str
) -> None:
    _save(seeded, replace(PASSPORT, valid_to=date(2027, 3, 31)))
    live = LiveSearcher(seeded, make_embedder("hashing"), poll_s=0)
    live.warm_up()
    last_evening = CityClock(datetime(2027, 3, 31, 23, 30)).today()
    next_morning = CityClock(datetime(2027, 4, 1, 0, 30)).today()
    assert _ids(live, "パスポートの申請", today=last_evening)[0] == "passport"
    assert "passport" not in _ids(live, "パスポートの申請", today=next_morning)
    assert "passport" not in [h.faq_id for h in live.search("パスポートの申請", today=next_morning).hits]
