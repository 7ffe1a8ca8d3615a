"""Clusters of unanswered questions and low-rated answers (bot/admin/unanswered_clusters.py): similar phrasings
grouped largest first with the closest FAQ entries, personal data masked, statuses changed only on open rows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.admin.unanswered_clusters import (
    MAX_OPEN,
    build_clusters,
    low_rated,
    parse_ids,
    set_status,
    texts_in_order,
    threshold_for,
)
from bot.services import Services, services_of
from bot.storage.db import transaction
from bot.storage.models import Feedback, Unanswered
from knowledge.search import dense_range_for

T0 = datetime(2027, 1, 15, 0, 0)
QUESTIONS = [  # (text, channel, reason)
    ("図書館は何時まで開いていますか", "web", "unknown"),
    ("図書館は何時まで開いてる", "line", "unknown"),
    ("図書館は何時まで開いていますか", "line", "choose"),
    ("図書館は何時まで開いていますか?", "web", "unknown"),
    ("マイナンバーカードを更新したい", "web", "unknown"),
    ("マイナンバーカードの更新", "line", "choose"),
    ("プールの料金はいくら", "web", "unknown"),
]


@pytest.fixture
def services(admin_app) -> Services:  # type: ignore[no-untyped-def]
    return services_of(admin_app)


def _add(services: Services, questions=QUESTIONS, status: str = "open") -> list[int]:  # type: ignore[no-untyped-def]
    with transaction(services.factory) as session:
        rows = [
            Unanswered(
                text=text, channel=channel, sender=f"r{i}", reason=reason, status=status,
                created_at=T0 + timedelta(minutes=i),
            )
            for i, (text, channel, reason) in enumerate(questions)
        ]  # fmt: skip
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def _statuses(session: Session) -> dict[int, tuple[str, str | None]]:
    return {r.id: (r.status, r.resolved_faq_id) for r in session.scalars(select(Unanswered))}


def test_parse_ids_keeps_the_first_of_each_number() -> None:
    assert parse_ids("3, 1,x,3,,2, -4, 1.5") == [3, 1, 2]
    assert parse_ids("") == []
    assert parse_ids(",".join(map(str, range(MAX_OPEN + 10)))) == list(range(MAX_OPEN))


def test_texts_in_order_are_masked_and_distinct(services: Services) -> None:
    ids = _add(
        services,
        [
            ("電話 090-1234-5678 に折り返して", "web", "unknown"),
            ("図書館", "web", "unknown"),
            ("図書館 ", "line", "choose"),
        ],
    )
    with services.factory() as session:
        assert texts_in_order(session, [ids[1], 99_999, ids[0], ids[2]]) == [
            "図書館",
            "電話 [電話番号] に折り返して",
        ]
        assert texts_in_order(session, []) == []


def test_set_status_changes_only_open_rows(services: Services) -> None:
    open_ids = _add(services, QUESTIONS[:3])
    done = _add(services, QUESTIONS[3:4], status="dismissed")
    with transaction(services.factory) as session:
        assert set_status(session, [], "resolved") == []
        changed = set_status(
            session, [open_ids[0], open_ids[1], done[0], 99_999], "resolved", "library-hours"
        )
    assert sorted(changed) == [open_ids[0], open_ids[1]]
    with services.factory() as session:
        assert _statuses(session) == {
            open_ids[0]: ("resolved", "library-hours"),
            open_ids[1]: ("resolved", "library-hours"),
            open_ids[2]: ("open", None),
            done[0]: ("dismissed", None),  # already handled: left as it was
        }


def test_threshold_sits_between_unrelated_and_same() -> None:
    low, high = dense_range_for("hashing")
    loose, normal, strict = (threshold_for("hashing", s) for s in ("loose", "normal", "strict"))
    assert low < loose < normal < strict < high
    assert threshold_for("hashing", "no-such-strength") == normal


def test_clusters_come_largest_first_with_their_phrasings(services: Services) -> None:
    ids = _add(services)
    with services.factory() as session:
        clusters = build_clusters(services, session, with_closest=False)
    library, mynumber = clusters[0], clusters[1]
    assert library.count == 4 and sorted(library.ids) == ids[:4]
    assert library.center.startswith("図書館は何時まで")
    assert {p.text: p.count for p in library.phrasings} == {
        "図書館は何時まで開いていますか": 2,
        "図書館は何時まで開いてる": 1,
        "図書館は何時まで開いていますか?": 1,
    }
    assert library.channels == {"web": 2, "line": 2} and library.reasons == {"unknown": 3, "choose": 1}
    assert (library.first, library.last) == (T0, T0 + timedelta(minutes=3))
    assert library.closest == [] and library.id_list == ",".join(map(str, library.ids))
    assert sorted(mynumber.ids) == ids[4:6]
    assert sum(c.count for c in clusters) == len(QUESTIONS)


def test_clusters_skip_handled_rows_and_mask_personal_data(services: Services) -> None:
    _add(services, QUESTIONS[:2], status="resolved")
    _add(services, [("住民票がほしい 090-1234-5678", "web", "unknown")])
    with services.factory() as session:
        clusters = build_clusters(services, session, limit=5)
    assert [c.center for c in clusters] == ["住民票がほしい [電話番号]"]
    closest = clusters[0].closest
    assert closest[0]["faq_id"] == "juminhyo" and len(closest) == 3
    assert all(set(c) == {"faq_id", "question", "score"} for c in closest)


def test_strength_and_limit(services: Services) -> None:
    _add(services)
    with services.factory() as session:
        counts = {
            s: len(build_clusters(services, session, s, with_closest=False)) for s in ("loose", "strict")
        }
        assert counts["loose"] <= counts["strict"]
        assert len(build_clusters(services, session, with_closest=False, limit=1)) == 1
    with services.factory() as session:
        session.execute(Unanswered.__table__.update().values(status="dismissed"))
        session.commit()
        assert build_clusters(services, session) == []


def _feedback(
    services: Services, faq_id: str | None, helpful: bool, comment: str = "", minute: int = 0
) -> None:
    with transaction(services.factory) as session:
        session.add(
            Feedback(
                channel="web", sender="r", faq_id=faq_id, helpful=helpful, comment=comment,
                created_at=T0 + timedelta(minutes=minute),
            )
        )  # fmt: skip


def test_low_rated_lists_the_worst_first_with_masked_comments(services: Services) -> None:
    for minute, comment in enumerate(["古い", "", "電話 090-1111-2222 に", "新しい", "最新"]):
        _feedback(services, "sodai-gomi", False, comment, minute)
    _feedback(services, "sodai-gomi", True, "役に立った")
    _feedback(services, "juminhyo", False, "", 9)
    _feedback(services, "inu-toroku", False, "", 1)
    _feedback(services, "inu-toroku", True)  # helpful only: never listed
    _feedback(services, None, False, "どの回答か不明")
    _feedback(services, "gone", False, "消えた回答")
    with services.factory() as session:
        rated = low_rated(session)
        assert [r.faq_id for r in low_rated(session, limit=2)] == [r.faq_id for r in rated[:2]]
    assert [(r.faq_id, r.not_helpful, r.helpful) for r in rated] == [
        ("sodai-gomi", 5, 1),
        ("gone", 1, 0),  # ties: by id
        ("inu-toroku", 1, 1),
        ("juminhyo", 1, 0),
    ]
    worst = rated[0]
    assert worst.question == "粗大ごみの出し方を教えてください"
    assert worst.comments == ["最新", "新しい", "電話 [電話番号] に"]  # newest three, not the helpful one
    assert rated[1].question == "(削除済み)" and rated[1].comments == ["消えた回答"]
    assert rated[3].last == T0 + timedelta(minutes=9)


def test_low_rated_is_empty_without_complaints(services: Services) -> None:
    _feedback(services, "juminhyo", True)
    with services.factory() as session:
        assert low_rated(session) == []
