"""LINE usage this month: Japan's calendar month, counters that never lose a count, and the push gate that asks
LINE's quota API at most once an hour while the allowance is used up."""

from __future__ import annotations

from datetime import datetime, timedelta

import anyio

from bot.line import usage
from bot.services import services_of
from bot.storage import line_inbox as inbox
from bot.storage.db import transaction
from channels.line.client import LineClient
from channels.line.fake import FakeLine
from tests.support.line import ACCESS_TOKEN, FAST


def test_the_month_is_japans(far_server_tz: str) -> None:
    assert usage.month_of(datetime(2027, 1, 31, 14, 59)) == "2027-01"
    assert usage.month_of(datetime(2027, 1, 31, 15, 0)) == "2027-02"  # midnight in Japan


def test_counts_add_up_and_show_on_the_dashboard(factory) -> None:  # type: ignore[no-untyped-def]
    usage.count(factory, late_pushes=2)
    usage.count(factory, late_pushes=1, fallback_texts=1)
    with factory() as session:
        title, header, rows = usage.summary(session)
    assert title.startswith("LINE の配信") and len(header) == 3
    assert rows == [["余裕あり", 3, 1]]


def test_the_gate_rechecks_the_quota_at_most_once_per_period(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    gate = usage.PushGate(factory, recheck=timedelta(hours=1))
    fake_line.quota = 10
    fake_line.pushes_counted = 10

    async def allows() -> bool:
        async with LineClient(ACCESS_TOKEN, fake_line.base_url, fake_line.base_url, FAST) as client:
            return await gate.allows(client)

    assert anyio.run(allows) is True and fake_line.calls == []  # nothing known: no LINE call
    gate.exhausted("push")
    gate.exhausted("push")
    assert gate.blocked() and anyio.run(allows) is False and fake_line.calls == []  # checked a moment ago
    with transaction(factory) as session:
        row = inbox.usage(session, usage.month_of())
        assert row is not None and row.quota_checked_at is not None
        row.quota_checked_at -= timedelta(hours=2)
    assert anyio.run(allows) is False and len(fake_line.calls_of("quota")) == 2  # still used up
    assert anyio.run(allows) is False and len(fake_line.calls_of("quota")) == 2  # and not asked again
    with transaction(factory) as session:
        row = inbox.usage(session, usage.month_of())
        assert row is not None and row.quota_checked_at is not None
        row.quota_checked_at -= timedelta(hours=2)
    fake_line.quota = 20
    assert anyio.run(allows) is True and not gate.blocked()


def test_staff_see_the_allowance_and_the_counts_on_the_dashboard(client_for, admin_app) -> None:  # type: ignore[no-untyped-def]
    """Issue 17, items 11 and 12: shown to staff, not only logged."""
    factory = services_of(admin_app).factory
    usage.count(factory, late_pushes=4, fallback_texts=2)
    usage.PushGate(factory).exhausted("push")
    viewer = client_for("viewer")
    page = viewer.get("/admin/dashboard").text
    assert "LINE の配信" in page and "上限に到達" in page and "応答期限後のプッシュ" in page
    rows = viewer.get("/admin/dashboard/line_usage.csv").content.decode("utf-8-sig").splitlines()
    assert rows[0] == "月間メッセージ通数,応答期限後のプッシュ,送れなかった回答の代わりの定型文"
    assert rows[1].startswith("上限に到達") and rows[1].endswith(",4,2")
