"""The unanswered inbox: open questions grouped into clusters of similar phrasings, and low-rated answers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from bot.privacy import mask_pii
from bot.services import Services
from bot.storage import faq_repo
from bot.storage.models import Feedback, Unanswered
from knowledge.clustering import cluster_vectors
from knowledge.search import dense_range_for

MAX_OPEN = 2000
STRENGTHS = {"loose": 0.30, "normal": 0.45, "strict": 0.65}  # position between 'unrelated' and 'same'
STRENGTH_LABELS = {
    "loose": "ゆるく(大きなまとまり)",
    "normal": "ふつう",
    "strict": "きびしく(よく似たものだけ)",
}


@dataclass
class Phrasing:
    text: str
    count: int


@dataclass
class ClusterView:
    ids: list[int]  # the central question's rows first
    center: str
    phrasings: list[Phrasing]
    first: datetime
    last: datetime
    channels: dict[str, int]
    reasons: dict[str, int]
    closest: list[dict] = field(default_factory=list)  # [{"faq_id", "question", "score"}]

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def id_list(self) -> str:
        return ",".join(map(str, self.ids))


def parse_ids(text: str) -> list[int]:
    ids: list[int] = []
    for part in text.replace(" ", "").split(","):
        if part.isdigit() and int(part) not in ids:
            ids.append(int(part))
    return ids[:MAX_OPEN]


def texts_in_order(session: Session, ids: list[int]) -> list[str]:
    """The distinct (masked) texts of these rows, in the order of `ids`."""
    rows = {r.id: r for r in session.scalars(select(Unanswered).where(Unanswered.id.in_(ids)))}
    texts: list[str] = []
    for i in ids:
        if i in rows:
            text = mask_pii(rows[i].text).strip()
            if text and text not in texts:
                texts.append(text)
    return texts


def set_status(session: Session, ids: list[int], status: str, faq_id: str | None = None) -> list[int]:
    """Mark open rows dismissed/resolved; returns the ids changed."""
    if not ids:
        return []
    changed = list(
        session.scalars(select(Unanswered.id).where(Unanswered.id.in_(ids), Unanswered.status == "open"))
    )
    if changed:
        session.execute(
            update(Unanswered).where(Unanswered.id.in_(changed)).values(status=status, resolved_faq_id=faq_id)
        )
    return changed


def threshold_for(model_name: str, strength: str) -> float:
    low, high = dense_range_for(model_name)
    return low + STRENGTHS.get(strength, STRENGTHS["normal"]) * (high - low)


def build_clusters(
    services: Services,
    session: Session,
    strength: str = "normal",
    with_closest: bool = True,
    limit: int | None = None,
) -> list[ClusterView]:
    rows = list(
        session.scalars(
            select(Unanswered)
            .where(Unanswered.status == "open")
            .order_by(Unanswered.id.desc())
            .limit(MAX_OPEN)
        )
    )
    if not rows:
        return []
    texts = [mask_pii(r.text).strip() for r in rows]
    vectors = services.embed_questions(texts)
    model = services.embedder
    groups = cluster_vectors(vectors, threshold_for(model.name, strength))
    views: list[ClusterView] = []
    for group in groups[:limit] if limit else groups:
        members = [rows[i] for i in group.members]
        counts = Counter(texts[i] for i in group.members)
        order = list(dict.fromkeys(texts[i] for i in group.members))  # most central first
        views.append(
            ClusterView(
                ids=[m.id for m in members],
                center=order[0],
                phrasings=[Phrasing(t, counts[t]) for t in order],
                first=min(m.created_at for m in members),
                last=max(m.created_at for m in members),
                channels=dict(Counter(m.channel for m in members)),
                reasons=dict(Counter(m.reason for m in members)),
            )
        )
    if with_closest and views:
        live = services.searcher
        for view in views:
            view.closest = [
                {"faq_id": h.faq_id, "question": h.question, "score": round(h.score, 3)}
                for h in live.rank(view.center, 3)
            ]
    return views


@dataclass
class LowRated:
    faq_id: str
    question: str
    not_helpful: int
    helpful: int
    comments: list[str]
    last: datetime


def low_rated(session: Session, limit: int = 20) -> list[LowRated]:
    """Entries residents marked 役に立たなかった, worst first."""
    bad = func.sum(case((Feedback.helpful.is_(False), 1), else_=0))
    good = func.sum(case((Feedback.helpful.is_(True), 1), else_=0))
    query = (
        select(Feedback.faq_id, bad, good, func.max(Feedback.created_at))
        .where(Feedback.faq_id.is_not(None))
        .group_by(Feedback.faq_id)
        .having(bad > 0)
        .order_by(bad.desc(), Feedback.faq_id)
        .limit(limit)
    )
    result: list[LowRated] = []
    for faq_id, n_bad, n_good, last in session.execute(query):
        entry = faq_repo.get_entry(session, faq_id)
        comments = [
            mask_pii(c)
            for c in session.scalars(
                select(Feedback.comment)
                .where(Feedback.faq_id == faq_id, Feedback.helpful.is_(False), Feedback.comment != "")
                .order_by(Feedback.id.desc())
                .limit(3)
            )
        ]
        result.append(
            LowRated(
                faq_id, entry.question if entry else "(削除済み)", int(n_bad), int(n_good), comments, last
            )
        )
    return result
