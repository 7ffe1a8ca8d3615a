"""Questions by who asks and the satisfaction trend: only residents with a profile, fewer than five hidden."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.admin import stats
from bot.storage import conversations, faq_repo
from bot.storage.db import transaction
from bot.storage.profiles import delete_profile, set_profile
from bot.surveys import satisfaction
from knowledge.kb import FaqEntry

TODAY = date(2027, 1, 13)
START, _ = stats.period_start(TODAY, 30)
LONG_AGO = datetime(2000, 1, 1)  # the messages below are stored at the real now


def ask(
    session, sender: str, *, faq_id: str | None = None, intent: str | None = None, fallback=False
) -> None:  # type: ignore[no-untyped-def]
    conversations.add_message(
        session, channel="line", sender=sender, direction="out", text="…", faq_id=faq_id, intent=intent,
        fallback=fallback,
    )  # fmt: skip


def test_questions_and_answer_rate_by_age_group_with_small_cells_hidden(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        faq_repo.seed_if_empty(session, [FaqEntry(id="g1", question="粗大ごみ", answer="…", category="ごみ")])
        for n in range(5):
            set_profile(session, f"line-30-{n}", age_group="30代", area=None)
            ask(session, f"line-30-{n}", faq_id="g1")
            ask(session, f"line-30-{n}", intent="ask_snowplow", fallback=n == 0)
        for n in range(4):
            set_profile(session, f"line-40-{n}", age_group="40代", area=None)
            for _ in range(3):  # many questions, but only four people
                ask(session, f"line-40-{n}", faq_id="g1")
        ask(session, "web-no-profile", faq_id="g1")
    with factory() as session:
        by_age = stats.questions_by_age(session, LONG_AGO)
        rates = stats.answered_by_age(session, LONG_AGO)
    rows = {r[0]: r for r in by_age.rows}
    col = {name: i for i, name in enumerate(by_age.header)}
    assert rows["ごみ"][col["30代"]] == 5 and rows["ごみ"][col["40代"]] == "5未満"
    assert rows["除雪"][col["30代"]] == 5 and rows["除雪"][col["20代"]] == 0
    assert by_age.rows[0][0] == "ごみ"  # 17 questions, the most asked
    rate = {r[0]: r for r in rates.rows}
    assert rate["30代"] == ["30代", 5, 10, 9, "90.0%"]
    assert rate["40代"] == ["40代", "5未満", "5未満", "5未満", "-"]
    with transaction(factory) as session:
        delete_profile(session, "line-30-0")
    with factory() as session:
        rows = {r[0]: r for r in stats.questions_by_age(session, LONG_AGO).rows}
    assert rows["ごみ"][col["30代"]] == "5未満"


def test_satisfaction_beside_feedback(factory) -> None:  # type: ignore[no-untyped-def]
    moment = datetime(2027, 1, 12, 3, tzinfo=UTC)
    with transaction(factory) as session:
        for n, score in enumerate((5, 4, 4, 2)):
            satisfaction.record_satisfaction(session, f"line-{n}", score, "line", moment)
        satisfaction.record_satisfaction(session, "web-a", 3, "web", moment - timedelta(days=7))
    with factory() as session:
        total, trend = stats.satisfaction_tables(session, TODAY, START, 4)
    assert total.rows == [[3, 2, "60.0%"]]
    assert [r[:3] for r in trend.rows[-2:]] == [["2027-01-04", 1, 0], ["2027-01-11", 4, 3]]
    assert trend.rows[-1][3:] == ["75%", "3.75"]
