"""Numbers for the dashboard, computed portably (SQLite and PostgreSQL) and bucketed by the city's days. The
tables by age group use only residents who registered a profile, and hide a count that fewer than five residents
make up (「5未満」), as the survey cross-tabs do."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.admin import unanswered_clusters
from bot.reports.categories import CategoryTable
from bot.services import Services
from bot.storage import faq_repo
from bot.storage.line_inbox import LineUser
from bot.storage.models import FaqRow, Feedback, Message
from bot.storage.profiles import AGE_GROUPS, ResidentProfile
from bot.storage.reports import STATUSES, Report
from bot.surveys import satisfaction
from bot.surveys.results import SMALL_CELL, SMALL_LABEL
from bot.surveys.segments import TOPIC_LABELS
from knowledge.clock import city_day_bounds_utc, to_city_time


@dataclass
class Table:
    """One dashboard table; the same rows feed the chart, the HTML table and the CSV download."""

    name: str
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)


def period_start(today: date, days: int) -> tuple[datetime, list[date]]:
    """The stored (naive UTC) moment the `days` city days ending `today` start, and those days."""
    first = today - timedelta(days=days - 1)
    start, _ = city_day_bounds_utc(first, first)
    return start, [first + timedelta(days=i) for i in range(days)]


def messages_by_day_and_hour(session: Session, today: date, days: int) -> tuple[Table, Table]:
    start, day_list = period_start(today, days)
    per_day: Counter[date] = Counter()
    per_hour: Counter[int] = Counter()
    answered: Counter[date] = Counter()
    fallback: Counter[date] = Counter()
    query = select(Message.created_at, Message.direction, Message.fallback).where(Message.created_at >= start)
    for created, direction, is_fallback in session.execute(query.execution_options(yield_per=5000)):
        local = to_city_time(created)
        if direction == "in":
            per_day[local.date()] += 1
            per_hour[local.hour] += 1
        elif is_fallback:
            fallback[local.date()] += 1
        else:
            answered[local.date()] += 1
    daily = Table(
        "daily",
        "日別の質問数と回答結果",
        ["日付", "質問数", "回答できた", "回答できなかった"],
        [[d.isoformat(), per_day[d], answered[d], fallback[d]] for d in day_list],
    )
    hourly = Table("hourly", "時間帯別の質問数", ["時", "質問数"], [[h, per_hour[h]] for h in range(24)])
    return daily, hourly


def outcomes(daily: Table) -> Table:
    answered = sum(r[2] for r in daily.rows)
    failed = sum(r[3] for r in daily.rows)
    total = answered + failed
    rate = f"{100 * answered / total:.1f}%" if total else "-"
    return Table(
        "outcomes", "回答できた割合", ["回答できた", "回答できなかった", "回答率"], [[answered, failed, rate]]
    )


def feedback(session: Session, start: datetime) -> Table:
    rows = dict(
        session.execute(
            select(Feedback.helpful, func.count())
            .where(Feedback.created_at >= start)
            .group_by(Feedback.helpful)
        ).all()
    )
    good, bad = int(rows.get(True, 0)), int(rows.get(False, 0))
    rate = f"{100 * good / (good + bad):.1f}%" if good + bad else "-"
    return Table(
        "feedback",
        "役に立った / 役に立たなかった",
        ["役に立った", "役に立たなかった", "役に立った割合"],
        [[good, bad, rate]],
    )


def top_faq(session: Session, start: datetime, limit: int = 10) -> Table:
    count = func.count().label("n")
    query = (
        select(Message.faq_id, count)
        .where(Message.direction == "out", Message.faq_id.is_not(None), Message.created_at >= start)
        .group_by(Message.faq_id)
        .order_by(count.desc(), Message.faq_id)
        .limit(limit)
    )
    rows = []
    for faq_id, n in session.execute(query):
        entry = faq_repo.get_entry(session, str(faq_id))
        rows.append([faq_id, entry.question if entry else "(削除済み)", int(n)])
    return Table("top_faq", "よく使われた FAQ", ["ID", "質問", "回答回数"], rows)


def top_unanswered(services: Services, session: Session, limit: int = 10) -> Table:
    clusters = unanswered_clusters.build_clusters(services, session, with_closest=False, limit=limit)
    return Table(
        "top_unanswered",
        "多い未回答の質問(似た質問をまとめて)",
        ["代表的な質問", "件数", "最後"],
        [[c.center, c.count, to_city_time(c.last).strftime("%Y-%m-%d %H:%M")] for c in clusters],
    )


def reports_tables(session: Session, start: datetime, categories: CategoryTable | None) -> list[Table]:
    by_cat = session.execute(
        select(Report.category, func.count()).where(Report.created_at >= start).group_by(Report.category)
    ).all()
    by_status = dict(
        session.execute(
            select(Report.status, func.count()).where(Report.created_at >= start).group_by(Report.status)
        ).all()
    )
    label = (lambda code: categories.get(code).label) if categories is not None else (lambda code: code)
    return [
        Table(
            "reports_category",
            "通報の種類別件数",
            ["種類", "件数"],
            sorted([[label(c), int(n)] for c, n in by_cat], key=lambda r: -r[1]),
        ),
        Table(
            "reports_status",
            "通報の状態別件数",
            ["状態", "件数"],
            [[s, int(by_status.get(s, 0))] for s in STATUSES],
        ),
    ]


def line_friends(session: Session) -> Table:
    following = (
        session.scalar(select(func.count()).select_from(LineUser).where(LineUser.followed.is_(True))) or 0
    )
    blocked = (
        session.scalar(select(func.count()).select_from(LineUser).where(LineUser.followed.is_(False))) or 0
    )
    return Table(
        "line_friends",
        "LINE 友だち",
        ["友だち(フォロー中)", "ブロック・解除"],
        [[int(following), int(blocked)]],
    )


# --- who asks (resident profiles) and satisfaction --------------------------------------------------------


def _suppressed(count: int, residents: int) -> int | str:
    """A count shown only when at least SMALL_CELL residents make it up (never one resident's questions)."""
    return count if residents >= SMALL_CELL or residents == 0 else SMALL_LABEL


def _asked_by_age(session: Session, start: datetime) -> list[tuple[str, str, str | None, str | None, bool]]:
    """(age group, resident, FAQ category, intent, fallback) of each answer since `start` to a resident with
    an age group in their profile."""
    query = (
        select(ResidentProfile.age_group, Message.sender, FaqRow.category, Message.intent, Message.fallback)
        .join(ResidentProfile, ResidentProfile.sender == Message.sender)
        .outerjoin(FaqRow, FaqRow.id == Message.faq_id)
        .where(
            Message.direction == "out", Message.created_at >= start, ResidentProfile.age_group.is_not(None)
        )
    )
    return [(str(a), str(s), c, i, bool(f)) for a, s, c, i, f in session.execute(query)]


def _topic(category: str | None, intent: str | None) -> str:
    if category:
        return category
    return TOPIC_LABELS.get(intent or "", "その他")


def questions_by_age(session: Session, start: datetime, limit: int = 12) -> Table:
    """Questions per topic (FAQ category, else the intent) and age group; a cell made up by fewer than
    SMALL_CELL residents is shown as 「5未満」."""
    rows = _asked_by_age(session, start)
    counts: Counter[tuple[str, str]] = Counter()
    people: dict[tuple[str, str], set[str]] = {}
    for age, sender, category, intent, _ in rows:
        key = (_topic(category, intent), age)
        counts[key] += 1
        people.setdefault(key, set()).add(sender)
    by_topic: Counter[str] = Counter()
    for (topic, _), n in counts.items():
        by_topic[topic] += n
    topics = [t for t, _ in by_topic.most_common(limit)]
    return Table(
        "questions_by_age",
        "話題別・年代別の質問数(登録情報のある住民)",
        ["話題", *AGE_GROUPS],
        [
            [t, *(_suppressed(counts[(t, a)], len(people.get((t, a), ()))) for a in AGE_GROUPS)]
            for t in topics
        ],
    )


def answered_by_age(session: Session, start: datetime) -> Table:
    """Per age group: residents, questions, answered, answer rate; fewer than SMALL_CELL residents: 「5未満」."""
    rows = _asked_by_age(session, start)
    table: list[list] = []
    for age in AGE_GROUPS:
        mine = [r for r in rows if r[0] == age]
        residents = len({r[1] for r in mine})
        answered = sum(1 for r in mine if not r[4])
        if 0 < residents < SMALL_CELL:
            table.append([age, SMALL_LABEL, SMALL_LABEL, SMALL_LABEL, "-"])
            continue
        rate = f"{100 * answered / len(mine):.1f}%" if mine else "-"
        table.append([age, residents, len(mine), answered, rate])
    return Table(
        "answered_by_age", "年代別の回答できた割合", ["年代", "住民", "質問数", "回答できた", "回答率"], table
    )


def satisfaction_tables(session: Session, today: date, start: datetime, weeks: int) -> list[Table]:
    """The satisfaction check: its totals since `start` and its weekly trend."""
    scores = satisfaction.totals(session, start)
    good = sum(n for s, n in scores.items() if s >= satisfaction.FAVOURABLE)
    total = sum(scores.values())
    rate = f"{100 * good / total:.1f}%" if total else "-"
    trend = [
        [week.isoformat(), n, fav, f"{100 * fav / n:.0f}%" if n else "-", f"{mean:.2f}" if mean else "-"]
        for week, n, fav, mean in satisfaction.weekly_trend(session, today, weeks)
    ]
    return [
        Table(
            "satisfaction",
            "満足度(満足・やや満足の割合)",
            ["満足・やや満足", "その他", "満足の割合"],
            [[good, total - good, rate]],
        ),
        Table(
            "satisfaction_trend",
            "満足度の推移(週ごと)",
            ["週(月曜から)", "回答", "満足・やや満足", "割合", "平均(1〜5)"],
            trend,
        ),
    ]
