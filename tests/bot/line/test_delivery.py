"""Delivering an answer within LINE's limits (issue 17, items 10–12): standby events are never pushed to, a
used-up monthly allowance holds what needs a push (kept, not failed, staff told once) while replies go on, late
answers are counted, and an answer LINE refuses is replaced by a short fallback text, counted too."""

from __future__ import annotations

import time
from datetime import timedelta

import anyio
from sqlalchemy import select

from bot.chat import ChatService
from bot.line import usage
from bot.line.inbox import LineInbox
from bot.line.worker import LineOptions, LineWorker
from bot.storage import line_inbox as inbox
from bot.storage.db import transaction
from bot.storage.line_inbox import LineInboxRow
from bot.storage.reports import StaffAlert
from channels.line import messages as lm
from channels.line.client import LineClient
from channels.line.events import from_dict
from channels.line.fake import FakeLine, text_event
from tests.support.line import ACCESS_TOKEN, FAST, StubRasa

SECRET = "test-secret-key-not-for-production"
USER = "U" + "8" * 32
LATE = int((time.time() - 120) * 1000)  # the reply token has expired: only a push can answer


def _run(
    factory, fake: FakeLine, *events: dict, rasa: StubRasa | None = None, outbox: list | None = None
) -> None:  # type: ignore[no-untyped-def]
    chat = ChatService(factory, rasa or StubRasa(), SECRET, contact="市民相談室 000-0000-1000")  # type: ignore[arg-type]

    async def go() -> None:
        accept = LineInbox(factory, lambda uid: chat.resident_key("line", uid)).accept
        async with LineClient(ACCESS_TOKEN, fake.base_url, fake.base_url, FAST) as client:
            options = LineOptions(poll_s=0.05, retry_base_s=0.05, policy=FAST)
            worker = LineWorker(factory, chat, client, None, options, contact="市民相談室 000-0000-1000")
            for raw in events:
                await accept([from_dict(raw)])
            if outbox is not None:  # an answer saved earlier that LINE will refuse
                with transaction(factory) as session:
                    for row in inbox.claim(session, "earlier", 0.01):
                        inbox.save_outbox(session, row.id, "earlier", outbox)
                await anyio.sleep(0.05)
            await worker.run_until_idle()

    anyio.run(go)


def _rows(factory) -> list[LineInboxRow]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return list(session.scalars(select(LineInboxRow).order_by(LineInboxRow.id)))


def _usage(factory):  # type: ignore[no-untyped-def]
    with factory() as session:
        return inbox.usage(session, usage.month_of())


def test_a_standby_event_without_a_reply_token_is_not_pushed_to(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    """Item 10: the bot answered standby events, by push since they carry no reply token."""
    rasa = StubRasa()
    _run(factory, fake_line, text_event("担当者と話しています", USER, mode="standby"), rasa=rasa)
    assert rasa.calls == [] and fake_line.calls == []
    assert [r.status for r in _rows(factory)] == [inbox.DONE]


def test_a_used_up_allowance_holds_late_answers_and_tells_staff_once(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    """Item 11: stop pushing, keep what waits, tell staff; replies still go; late pushes are counted."""
    fake_line.quota = 0
    _run(factory, fake_line, text_event("遅れた質問", USER, timestamp_ms=LATE))
    [held] = _rows(factory)
    assert held.status == inbox.PENDING and held.attempts == 0 and held.stage == "pushing"
    assert [c.status for c in fake_line.calls_of("push")] == [429]  # tried once, not five times
    _run(factory, fake_line, text_event("今の質問", USER), text_event("また遅れた", USER, timestamp_ms=LATE))
    assert [d["via"] for d in fake_line.delivered] == ["reply"]  # replies are free: answered at once
    assert len(fake_line.calls_of("push")) == 1  # the second late one did not even try
    with factory() as session:
        alerts = session.scalars(select(StaffAlert).where(StaffAlert.kind == usage.ALERT_KIND)).all()
        table = usage.summary(session)
    assert len(alerts) == 1 and "上限に到達" in table[2][0][0]
    # The city raises its allowance: after the next quota check both late answers go out, counted.
    fake_line.quota = 1000
    with transaction(factory) as session:
        row = inbox.usage(session, usage.month_of())
        row.quota_checked_at -= timedelta(hours=2)
        session.execute(
            LineInboxRow.__table__.update().values(next_attempt_at=row.quota_checked_at)  # due now
        )
    _run(factory, fake_line)
    assert [r.status for r in _rows(factory)] == [inbox.DONE] * 3
    assert sorted(d["via"] for d in fake_line.delivered) == ["push", "push", "reply"]
    assert _usage(factory).late_pushes == 2 and _usage(factory).quota_exhausted_at is None


def test_an_answer_line_refuses_is_replaced_by_a_fallback_text(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    """Item 12: a 400 left the resident with silence."""
    refused = [{"type": "text", "text": "x" * 6000}]  # over LINE's 5,000 units: LINE answers 400
    _run(factory, fake_line, text_event("質問", USER), outbox=refused)
    assert fake_line.delivered_texts() == [lm.fallback_reply("市民相談室 000-0000-1000")]
    assert [d["via"] for d in fake_line.delivered] == ["reply"]  # a refused reply leaves the token unused
    assert [r.status for r in _rows(factory)] == [inbox.DONE]
    assert _usage(factory).fallback_texts == 1
