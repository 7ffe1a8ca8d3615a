"""Pushing a survey's invitation to a segment of LINE followers; the console's send page calls these.

    plan = plan_push(session, survey_id, Segment("area", "北地区"), now)      # who and what it costs; sends nothing
    plan = await send_push(factory, line_client, survey_id, segment, "staff1", dry_run=False)

Recipients are the segment's followers (`segments.segment_senders`) whose LINE id is known and who follow the
account (`line_inbox.push_target`, as report notices and reminders do), less those who already answered. Each
gets one push: the invitation text and a card whose 「回答する」 opens the survey (bot/surveys/line.py). LINE counts
one message per recipient however many bubbles a push has, so the cost is the number of recipients; the month's
allowance left comes from LINE's quota API (free: it sends nothing) when a client is at hand, else from what
bot/line/usage.py knows (used up this month, or unknown). A dry run asks the same and sends nothing.

A real send refuses to start when the allowance left is smaller than the cost (a careful city does not invite
half a segment), stops when LINE says the allowance is used up midway (the rest are counted `held`, and staff are
told as for any push), and keeps going past one resident's failure. The retry key of each push is derived from
(survey, resident), so sending again within LINE's 24 hours never invites anyone twice; later, only those who
have not answered yet are invited again (a reminder). Every dry run and send is in the audit log, with counts
only, never a resident's id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.line.usage import PushGate, month_of
from bot.messages import Messages as Wording
from bot.messages import default_messages
from bot.storage import accounts, line_inbox
from bot.storage.db import transaction
from bot.storage.line_inbox import LineUser
from bot.storage.surveys import SurveyResponseRow, SurveyRow, respondent_of
from bot.surveys import service
from bot.surveys.definition import SurveyError
from bot.surveys.line import invitation_data
from bot.surveys.segments import Segment, segment_senders
from bot.surveys.talk import when
from channels.line import survey_messages as sm
from channels.line.client import LineApiError, LineClient, LineQuotaExhausted, LineUnavailable
from knowledge.clock import CITY_TZ

log = logging.getLogger(__name__)

CONCURRENCY = 8  # pushes in flight at once (LINE allows far more; this keeps the gateway responsive)
LOOKUP_CHUNK = 500  # pseudonyms per IN (…) query


@dataclass
class PushPlan:
    survey_id: int
    segment: Segment
    recipients: int  # followers in the segment who can be reached and have not answered yet
    messages: int  # what the push costs of the month's allowance (one per recipient)
    allowance_left: int | None  # None: unknown or unlimited
    fits: bool
    already_answered: int = 0  # in the segment, answered already: not invited again
    dry_run: bool = True
    sent: int = 0
    failed: int = 0  # LINE refused or stayed unavailable (safe to send again: nobody gets it twice)
    held: int = 0  # not pushed because the allowance ran out during the send


def _aware(now: datetime) -> datetime:
    """`now` as an aware moment: a naive one is the city's wall-clock time (`CityClock.now()`)."""
    return now if now.tzinfo is not None else now.replace(tzinfo=CITY_TZ)


def _open_row(session: Session, survey_id: int, now: datetime) -> SurveyRow:
    now = _aware(now)
    row = service.get_survey(session, survey_id)
    if row is None:
        raise SurveyError("そのアンケートはありません。")
    if not service.is_open(row, now):
        raise SurveyError("送れるのは、公開中で回答期間内のアンケートだけです。")
    return row


def _recipients(session: Session, row: SurveyRow, segment: Segment) -> tuple[list[tuple[str, str]], int]:
    """(resident key, LINE user id) of the reachable followers in `segment` who have not answered, and how
    many answered already."""
    keys = segment_senders(session, segment)
    done = set(
        session.scalars(
            select(SurveyResponseRow.respondent).where(
                SurveyResponseRow.survey_id == row.id, SurveyResponseRow.completed_at.is_not(None)
            )
        )
    )
    users: dict[str, str] = {}
    for i in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[i : i + LOOKUP_CHUNK]
        query = select(LineUser.pseudonym, LineUser.user_id).where(
            LineUser.followed.is_(True), LineUser.pseudonym.in_(chunk)
        )
        users.update({str(k): str(u) for k, u in session.execute(query)})
    out, answered = [], 0
    for key in keys:
        if key not in users:
            continue
        if respondent_of(row, key) in done:
            answered += 1
        else:
            out.append((key, users[key]))
    return out, answered


def _known_allowance(session: Session) -> int | None:
    """0 when this month's allowance is known to be used up, else None (unknown without asking LINE)."""
    row = line_inbox.usage(session, month_of())
    return 0 if row is not None and row.quota_exhausted_at is not None else None


def _plan(row: SurveyRow, segment: Segment, recipients: int, answered: int, left: int | None) -> PushPlan:
    fits = left is None or recipients <= left
    return PushPlan(row.id, segment, recipients, recipients, left, fits, answered)


def plan_push(session: Session, survey_id: int, segment: Segment, now: datetime) -> PushPlan:
    """Who would get the invitation and what it costs; nothing is sent. SurveyError when it cannot be sent
    (no such survey, not open). `now`: aware, or naive city time."""
    row = _open_row(session, survey_id, now)
    recipients, answered = _recipients(session, row, segment)
    return _plan(row, segment, len(recipients), answered, _known_allowance(session))


def invitation_messages(w: Wording, row: SurveyRow) -> list[dict]:
    survey = service.definition_of(row)
    closes = when(survey.closes_at)
    text = w.text("survey_line_invitation", title=survey.title, intro=survey.intro, closes=closes)
    card = w.text("survey_line_invitation_card", title=survey.title, closes=closes)
    return sm.invitation(text, w.text("survey_line_button_answer"), invitation_data(row.id), card)


def _audit(factory: sessionmaker[Session], actor: str, action: str, plan: PushPlan) -> None:
    detail = {
        "segment": {"kind": plan.segment.kind, "value": plan.segment.value},
        "recipients": plan.recipients,
        "messages": plan.messages,
        "allowance_left": plan.allowance_left,
        "already_answered": plan.already_answered,
        "sent": plan.sent,
        "failed": plan.failed,
        "held": plan.held,
    }
    with transaction(factory) as session:
        accounts.audit(session, actor, action, f"survey:{plan.survey_id}", detail)


async def _allowance(line_client: LineClient, known: int | None) -> int | None:
    """The allowance left this month, from LINE's quota API; `known` when LINE cannot say now."""
    try:
        limit, used = await line_client.message_quota()
    except (LineApiError, LineUnavailable) as exc:
        log.warning("LINE quota not known (%s): the survey push plan goes without it", exc)
        return known
    return None if limit is None else max(0, limit - used)


async def send_push(
    factory: sessionmaker[Session],
    line_client: LineClient,
    survey_id: int,
    segment: Segment,
    actor: str,
    *,
    dry_run: bool,
    wording: Wording | None = None,
    now: datetime | None = None,
) -> PushPlan:
    """Push the invitation to the segment (or, `dry_run`, only say to whom and at what cost). SurveyError
    (Japanese, for staff) when it cannot be sent. `now` (the city clock's; default: the real time) decides
    whether the survey is open."""
    w = wording or default_messages()

    def prepare() -> tuple[PushPlan, list[tuple[str, str]], list[dict]]:
        with factory() as session:
            row = _open_row(session, survey_id, now or datetime.now(UTC))
            recipients, answered = _recipients(session, row, segment)
            plan = _plan(row, segment, len(recipients), answered, _known_allowance(session))
            return plan, recipients, invitation_messages(w, row)

    plan, recipients, messages = await anyio.to_thread.run_sync(prepare)
    left = await _allowance(line_client, plan.allowance_left)
    plan.allowance_left, plan.fits = left, left is None or plan.messages <= left
    plan.dry_run = dry_run
    if dry_run:
        await anyio.to_thread.run_sync(lambda: _audit(factory, actor, "survey.push_dry_run", plan))
        return plan
    if not plan.fits:
        raise SurveyError(
            f"今月のメッセージ通数の残り({left}通)では、送信先の{plan.recipients}人に送れません。"
            "送信先を絞るか、通数の上限が増えてから送ってください。"
        )
    gate = PushGate(factory)
    if plan.recipients and not await gate.allows(line_client):
        raise SurveyError(
            "今月のメッセージ通数の上限に達しているため送れません。翌月か上限が増えてから送ってください。"
        )
    await _push_all(gate, line_client, survey_id, recipients, messages, plan)
    await anyio.to_thread.run_sync(lambda: _audit(factory, actor, "survey.push", plan))
    return plan


async def _push_all(
    gate: PushGate,
    line_client: LineClient,
    survey_id: int,
    recipients: list[tuple[str, str]],
    messages: list[dict],
    plan: PushPlan,
) -> None:
    """Push to every recipient, `CONCURRENCY` at a time; counts go into `plan`."""
    queue = list(reversed(recipients))
    exhausted = anyio.Event()

    async def pusher() -> None:
        while queue and not exhausted.is_set():
            resident_key, user_id = queue.pop()
            try:
                await line_client.push(user_id, messages, f"survey-{survey_id}-{resident_key}")
                plan.sent += 1
            except LineQuotaExhausted:
                plan.held += 1
                if not exhausted.is_set():
                    exhausted.set()
                    await gate.exhausted_async(f"survey {survey_id} invitation")
            except (LineApiError, LineUnavailable) as exc:
                plan.failed += 1
                log.warning("survey %s invitation to %s… failed: %s", survey_id, resident_key[:12], exc)

    async with anyio.create_task_group() as group:
        for _ in range(min(CONCURRENCY, len(recipients))):
            group.start_soon(pusher)
    plan.held += len(queue)
