"""Pushing a survey to a segment of LINE followers: the plan (count and allowance cost, nothing sent), the dry
run, the real send (only the segment, never twice, the answered left out), the allowance, the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest
from sqlalchemy import select

from bot.line.usage import month_of
from bot.storage import line_inbox
from bot.storage.accounts import AuditLog
from bot.storage.db import transaction, utcnow
from bot.storage.profiles import set_profile
from bot.surveys import service
from bot.surveys.definition import SurveyError
from bot.surveys.delivery import plan_push, send_push
from bot.surveys.line import invitation_data
from bot.surveys.segments import Segment
from channels.line.client import LineClient
from channels.line.fake import FakeLine, message_problems
from knowledge.clock import CITY_TZ
from tests.support.line import ACCESS_TOKEN, FAST
from tests.support.survey_line import make_survey

NOW = datetime.now(UTC)
NORTH = Segment("area", "北町地区")


def follower(n: int) -> tuple[str, str]:
    return f"line-{n:032d}", f"U{n:032d}"


def followers(factory, north: tuple[int, ...] = (1, 2), others: tuple[int, ...] = (3, 4)) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        for n in north + others:
            key, user_id = follower(n)
            line_inbox.remember_user(session, key, user_id, follow=True)
            set_profile(session, key, age_group="30代", area="北町地区" if n in north else "中央地区")


def send(factory, fake: FakeLine, survey_id: int, segment: Segment, *, dry_run: bool, client=None):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with client or LineClient(ACCESS_TOKEN, fake.base_url, fake.base_url, FAST) as line_client:
            return await send_push(factory, line_client, survey_id, segment, "editor1", dry_run=dry_run)

    return anyio.run(go)


def audits(factory) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    with factory() as session:
        rows = session.scalars(
            select(AuditLog).where(AuditLog.action.startswith("survey.push")).order_by(AuditLog.id)
        )
        return [(r.action, r.detail) for r in rows]


def test_the_plan_counts_the_reachable_followers_of_the_segment(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory)
    followers(factory, north=(1, 2, 5), others=(3, 4))
    with transaction(factory) as session:
        key, user_id = follower(5)
        line_inbox.mark_unfollowed(
            session, key, user_id, utcnow() + timedelta(days=30)
        )  # blocked: not reached
        service.save_answer(
            session, survey_id, follower(2)[0], 0, "年に数回", "line", NOW
        )  # started, not done
    with factory() as session:
        north = plan_push(session, survey_id, NORTH, NOW)
        everyone = plan_push(session, survey_id, Segment("all"), NOW)
    assert (north.recipients, north.messages, north.allowance_left, north.fits) == (2, 2, None, True)
    assert (everyone.recipients, everyone.messages) == (4, 4)
    with transaction(factory) as session:
        service.submit(session, survey_id, follower(1)[0], {0: "月1回以上", 1: ["ごみ"], 2: 3}, "web", NOW)
    with factory() as session:
        after = plan_push(session, survey_id, NORTH, NOW)
    assert (after.recipients, after.already_answered) == (1, 1)  # answered already: not invited again
    city_now = NOW.astimezone(CITY_TZ).replace(tzinfo=None)  # what the console's city clock gives
    with factory() as session:
        assert plan_push(session, survey_id, NORTH, city_now).recipients == 1
        with pytest.raises(SurveyError, match="回答期間内"):
            plan_push(session, survey_id, NORTH, city_now + timedelta(days=15))


def test_a_survey_that_is_not_open_cannot_be_planned(factory) -> None:  # type: ignore[no-untyped-def]
    draft = make_survey(factory, publish=False)
    closed = make_survey(factory)
    with transaction(factory) as session:
        service.close(session, closed, "editor1")
    with factory() as session:
        for survey_id in (draft, closed, 999):
            with pytest.raises(SurveyError):
                plan_push(session, survey_id, NORTH, NOW)


def test_a_dry_run_sends_nothing_and_a_send_reaches_only_the_segment_once(
    factory, fake_line: FakeLine
) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory)
    followers(factory)
    fake_line.quota = 100
    dry = send(factory, fake_line, survey_id, NORTH, dry_run=True)
    assert (dry.recipients, dry.messages, dry.allowance_left, dry.fits, dry.sent) == (2, 2, 100, True, 0)
    assert fake_line.calls_of("push") == []
    sent = send(factory, fake_line, survey_id, NORTH, dry_run=False)
    assert (sent.sent, sent.failed, sent.held, sent.dry_run) == (2, 0, 0, False)
    assert sorted(d["to"] for d in fake_line.delivered) == [follower(1)[1], follower(2)[1]]
    push = fake_line.delivered[0]["messages"]
    assert (
        message_problems(push) == [] and "【アンケートのお願い】窓口サービスのアンケート" in push[0]["text"]
    )
    button = push[-1]["template"]["actions"][0]
    assert (button["label"], button["data"]) == ("回答する", invitation_data(survey_id))
    again = send(factory, fake_line, survey_id, NORTH, dry_run=False)  # sent twice by mistake
    assert again.sent == 2 and len(fake_line.delivered) == 2  # LINE took each retry key once (409)
    assert [c.status for c in fake_line.calls_of("push")].count(409) == 2
    actions = audits(factory)
    assert [a for a, _ in actions] == ["survey.push_dry_run", "survey.push", "survey.push"]
    detail = actions[1][1]
    assert detail["segment"] == {"kind": "area", "value": "北町地区"} and detail["sent"] == 2
    assert "U" + "0" * 31 + "1" not in str(actions)  # no LINE id in the audit log


def test_a_send_bigger_than_the_allowance_left_is_refused_before_anything_goes(
    factory, fake_line: FakeLine
) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory)
    followers(factory)
    fake_line.quota = 1
    dry = send(factory, fake_line, survey_id, Segment("all"), dry_run=True)
    assert (dry.recipients, dry.allowance_left, dry.fits) == (4, 1, False)
    with pytest.raises(SurveyError, match="残り\\(1通\\)"):
        send(factory, fake_line, survey_id, Segment("all"), dry_run=False)
    assert fake_line.calls_of("push") == []


class StaleQuota(LineClient):
    """LINE's consumption figure lags: the quota API says there is room the pushes then do not find."""

    async def message_quota(self) -> tuple[int | None, int]:
        return 1000, 0


def test_an_allowance_used_up_midway_holds_the_rest_and_failures_do_not_stop_it(
    factory, fake_line: FakeLine
) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory)
    followers(factory, north=(1, 2, 3, 4, 5, 6), others=())
    fake_line.inject("push", 400)  # LINE refuses one push outright
    result = send(factory, fake_line, survey_id, NORTH, dry_run=False)
    assert (result.sent, result.failed, result.held) == (5, 1, 0)
    fake_line.quota = fake_line.pushes_counted + 1  # room for one more push only
    survey_b = make_survey(factory, title="二つ目")
    client = StaleQuota(ACCESS_TOKEN, fake_line.base_url, fake_line.base_url, FAST)
    result = send(factory, fake_line, survey_b, NORTH, dry_run=False, client=client)
    assert result.sent == 1 and result.held == 5 and result.failed == 0
    with factory() as session:
        usage = line_inbox.usage(session, month_of())
        assert usage is not None and usage.quota_exhausted_at is not None  # every process stops pushing
    with factory() as session:
        assert plan_push(session, survey_b, NORTH, NOW).allowance_left == 0
