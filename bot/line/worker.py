"""The LINE inbox worker: claims stored webhook events, has them answered (bot/line/handlers.py), delivers.

The webhook (bot/line/routes.py) stores events in the inbox (bot/line/inbox.py) and wakes a worker: this class,
in the gateway process (`MADOGUCHI_LINE_WORKER=inline`) or in its own (`process`, what the launcher runs;
bot/line/process.py). Workers in several processes share the inbox safely: rows are claimed with a
compare-and-set and a lease (`bot.storage.line_inbox.claim`), every later write is fenced by the claim token,
and an event whose worker died is taken over when its lease expires. Progress is recorded (`stage`), so a
resumed event does not ask Rasa again once its answer is saved, and is not answered twice: a reply that may have
landed is settled by replying again with the same one-time token ("Invalid reply token" = delivered), a push
that may have landed is resent with the retry key derived from the event id, which LINE deduplicates (409).
Delivery itself (the message allowance, late pushes, the fallback text for a refused answer) is
bot/line/delivery.py; an event held for the allowance stays pending without spending an attempt.
While a burst of webhooks is arriving, new answering waits for it to pause (at most 2 s;
`LineWorker._let_burst_pass`), so the gateway acknowledges at full speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import anyio
from sqlalchemy.orm import Session, sessionmaker

from bot.chat import ChatService
from bot.line.delivery import QUOTA_HOLD_S, AnswerDelivery, QuotaHold
from bot.line.handlers import Answerer, Messages, PhotoSink
from bot.line.usage import PushGate
from bot.messages import Messages as Wording
from bot.messages import for_settings
from bot.privacy import mask_pii
from bot.reports.photos import PhotoStore
from bot.run.retention import forget_resident
from bot.settings import Settings
from bot.storage import line_inbox as inbox
from bot.storage.db import is_unavailable, transaction, utcnow
from bot.storage.line_inbox import LineInboxRow
from channels.line.client import LineApiError, LineClient, LineUnavailable, RetryPolicy
from channels.line.events import from_dict

log = logging.getLogger(__name__)


@dataclass
class LineOptions:
    # An event whose worker went silent this long is taken over (MADOGUCHI_LINE_LEASE_S). Kept well under the
    # reply token's life, so a resumed event can still settle by its token whether its reply landed.
    lease_s: float = 30.0
    poll_s: float = 1.0  # how often to look for work other processes stored (own webhook wakes at once)
    concurrency: int = 8  # residents answered in parallel per process (one resident's events in order)
    max_attempts: int = 6  # processing attempts before an event is marked failed
    retry_base_s: float = 5.0  # backoff between processing attempts
    retention_days: int = (
        30  # after unfollow, the LINE id and conversation go (MADOGUCHI_RETENTION_UNFOLLOWED_LINE_DAYS)
    )
    keep_done_days: int = 7  # finished inbox rows (ids only) kept this long to absorb redeliveries
    housekeeping_s: float = 3600.0
    # while webhooks keep arriving, new answering waits for a pause this long (acknowledgements first) …
    burst_quiet_s: float = 0.1
    # … but never longer than this after the burst began (then acknowledging and answering share the CPUs)
    burst_max_defer_s: float = 2.0
    rate_per_minute: int = 30  # messages per resident answered a minute (settings.chat_rate_per_minute)
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> LineOptions:
        return cls(
            retention_days=settings.retention_unfollowed_line_days or 30,
            rate_per_minute=settings.chat_rate_per_minute or 30,
            lease_s=settings.line_lease_s or 30.0,
        )


@dataclass(frozen=True)
class InboxRow:
    """A claimed inbox row, read out of its session: the event and how far an earlier attempt got."""

    id: int
    resident_key: str  # line_inbox.user_key; "" for an event without a user
    attempts: int
    stage: str  # received | answered | replying | pushing
    outbox: Messages | None  # the saved answer, once answered
    payload: dict[str, Any] | None  # the raw event

    @classmethod
    def of(cls, row: LineInboxRow) -> InboxRow:
        return cls(row.id, row.user_key, row.attempts, row.stage, row.outbox, row.payload)


class LostLease(Exception):
    """Another worker owns the event now (our lease expired)."""


class LineWorker:
    def __init__(
        self,
        factory: sessionmaker[Session],
        chat: ChatService,
        line_client: LineClient,
        photos: PhotoSink | None,
        options: LineOptions | None = None,
        contact: str = "",
        wording: Wording | None = None,
    ) -> None:
        self._factory = factory
        self._line_client = line_client
        self.options = options or LineOptions()
        self.delivery = AnswerDelivery(line_client, PushGate(factory), contact, wording)
        self.answerer = Answerer(
            factory,
            chat,
            line_client,
            photos,
            contact=contact,
            retention_days=self.options.retention_days,
            rate_per_minute=self.options.rate_per_minute,
            wording=wording,
        )
        self._work_due = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._tokens: set[str] = set()
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_housekeeping = 0.0
        self._last_wake: float | None = None  # loop time of the gateway's latest wake-up
        self._burst_since = 0.0
        self._sustained = False  # webhooks kept coming past burst_max_defer_s: stop deferring until a pause

    # Running ------------------------------------------------------------------------------------------------

    def wake(self) -> None:
        """The gateway stored new events (`LineInbox.wake`, or a datagram from bot/line/wake.py): answer them
        once the webhooks pause."""
        now = asyncio.get_running_loop().time()
        if self._last_wake is None or now - self._last_wake >= self.options.burst_quiet_s:
            self._burst_since, self._sustained = now, False
        self._last_wake = now
        self._work_due.set()

    def _look_again(self) -> None:
        """Capacity was freed, or we are stopping: look at the inbox now rather than at the next poll."""
        self._work_due.set()

    async def _let_burst_pass(self) -> None:
        """Acknowledging webhooks (the gateway) and answering them (this worker, Rasa, the action server) share
        the machine's CPUs. While webhooks keep arriving, new answering waits until they pause for
        `burst_quiet_s`, so a burst is acknowledged at full speed (LINE redelivers what is not acknowledged in
        time) and answered right after; events already being answered go on. After `burst_max_defer_s` of
        continuous webhooks it stops waiting until the next pause, so sustained traffic is still answered."""
        loop = asyncio.get_running_loop()
        while not self._stopping and self._last_wake is not None and not self._sustained:
            now = loop.time()
            quiet_at = self._last_wake + self.options.burst_quiet_s
            if now >= quiet_at:
                return
            if now >= self._burst_since + self.options.burst_max_defer_s:
                self._sustained = True
                log.info("LINE webhooks arriving continuously: answering alongside them")
                return
            await asyncio.sleep(min(quiet_at, self._burst_since + self.options.burst_max_defer_s) - now)

    def start(self) -> None:
        self._runner = asyncio.get_running_loop().create_task(self.run(), name="line-worker")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            try:
                if loop.time() - self._last_housekeeping > self.options.housekeeping_s:
                    self._last_housekeeping = loop.time()
                    await anyio.to_thread.run_sync(self.housekeeping)
                free = self.options.concurrency - len(self._tasks)
                if free > 0:
                    await self._let_burst_pass()
                    await self._claim_and_spawn(free)
            except Exception:  # a database hiccup must not kill the worker
                log.exception("LINE worker loop error; retrying")
            self._work_due.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._work_due.wait(), self.options.poll_s)

    async def _claim_and_spawn(self, limit: int) -> int:
        token = str(uuid.uuid4())

        def claim() -> list[InboxRow]:
            with transaction(self._factory) as session:
                return [
                    InboxRow.of(r) for r in inbox.claim(session, token, self.options.lease_s, limit=limit)
                ]

        claimed = await anyio.to_thread.run_sync(claim)
        if not claimed:
            return 0
        self._tokens.add(token)
        by_resident: dict[str, list[InboxRow]] = defaultdict(list)
        for row in claimed:
            by_resident[row.resident_key or f"row-{row.id}"].append(row)
        pending = len(by_resident)

        async def run_group(rows: list[InboxRow]) -> None:
            nonlocal pending
            try:
                for row in rows:
                    await self._process(row, token)
            finally:
                pending -= 1
                if pending == 0:
                    self._tokens.discard(token)
                self._look_again()  # capacity freed, and the resident's next event may be due

        for rows in by_resident.values():
            task = asyncio.get_running_loop().create_task(run_group(rows))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(claimed)

    async def run_until_idle(self, timeout_s: float = 30.0) -> None:
        """Process until nothing is due (tests and the CLI)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            spawned = await self._claim_and_spawn(self.options.concurrency)
            if self._tasks:
                await asyncio.wait(set(self._tasks))
            elif not spawned:
                return
        raise TimeoutError("LINE inbox still busy")

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop claiming, let running events finish for `grace_s`, then give the rest back to the inbox."""
        self._stopping = True
        self._look_again()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self._tasks:
            _done, still = await asyncio.wait(set(self._tasks), timeout=grace_s)
            for task in still:
                task.cancel()
            if still:
                await asyncio.wait(still)
        tokens, self._tokens = set(self._tokens), set()

        def release() -> None:
            with transaction(self._factory) as session:
                for token in tokens:
                    inbox.release(session, token)

        if tokens:
            await anyio.to_thread.run_sync(release)

    # One event ----------------------------------------------------------------------------------------------

    async def _db(self, fn: Callable[[Session], Any], *, durable: bool = False) -> Any:
        """Run `fn` in a transaction. `durable`: when the database is unreachable (restart, failover), try
        again with backoff for up to one lease instead of failing, so progress already made outside the
        database (Rasa asked, the answer delivered) gets recorded and is not repeated."""

        def work() -> Any:
            with transaction(self._factory) as session:
                return fn(session)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.lease_s
        delay = 0.1
        while True:
            try:
                return await anyio.to_thread.run_sync(work)
            except Exception as exc:
                if not durable or not is_unavailable(exc) or loop.time() + delay > deadline:
                    raise
                log.warning("LINE worker: database unavailable (%s); retrying", type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _fenced(self, fn: Callable[[Session], bool]) -> None:
        """A write that only applies while we hold the event's lease (durable: see `_db`)."""
        if not await self._db(fn, durable=True):
            raise LostLease

    async def _process(self, row: InboxRow, token: str) -> None:
        row_id, stage = row.id, row.stage
        try:
            if row.payload is None:
                raise ValueError("inbox row without its event")
            event = from_dict(row.payload)
            if stage in ("answered", "replying", "pushing") and row.outbox is not None:
                messages = row.outbox
            else:

                async def save(messages: Messages, also: Callable[[Session], Any] | None = None) -> Messages:
                    return await self._save(row_id, token, messages, also)

                async def db(fn: Callable[[Session], Any]) -> Any:
                    # durable: a database restart in the middle of answering is waited out (up to a lease),
                    # so the event is not failed and answered again — Rasa would take the turn twice
                    return await self._db(fn, durable=True)

                messages = await self.answerer.answer(event, row_id, save, db)
            if messages:
                await self._fenced(lambda s: inbox.renew(s, row_id, token, self.options.lease_s))
                await self.delivery.deliver(
                    event,
                    stage,
                    messages,
                    before_reply=lambda: self._fenced(
                        lambda s: inbox.set_stage(s, row_id, token, "replying")
                    ),
                    before_push=lambda: self._fenced(lambda s: inbox.set_stage(s, row_id, token, "pushing")),
                )
            await self._fenced(lambda s: inbox.complete(s, row_id, token))
        except LostLease:
            log.warning("LINE event %s: lease lost to another worker; leaving it", row_id)
        except QuotaHold:  # kept, not failed: it goes out once LINE's allowance has room again
            hold = QUOTA_HOLD_S
            await self._db(
                lambda s: inbox.retry_later(s, row_id, token, hold, "waiting for LINE's allowance", False)
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            try:
                await self._failed(row, token, exc)
            except Exception:  # database down too: the lease expires and the event is resumed later
                log.exception("LINE event %s: could not record the failure", row_id)

    async def _failed(self, row: InboxRow, token: str, exc: Exception) -> None:
        row_id, attempts = row.id, row.attempts
        error = mask_pii(f"{type(exc).__name__}: {exc}")  # kept in line_inbox.last_error: no resident words
        permanent = isinstance(exc, LineApiError) and exc.status not in (401, 403)  # auth: fix config, retry
        if permanent or attempts >= self.options.max_attempts:
            log.error("LINE event %s failed for good after %d attempts: %s", row_id, attempts, error)
            await self._db(lambda s: inbox.fail(s, row_id, token, error), durable=True)
            return
        delay = self.options.retry_base_s * (2 ** (attempts - 1))
        expected = isinstance(exc, LineUnavailable | LineApiError)
        log.log(
            logging.WARNING if expected else logging.ERROR,
            "LINE event %s attempt %d failed (%s); retrying in %.0fs",
            row_id,
            attempts,
            error,
            delay,
            exc_info=not expected,
        )
        await self._db(lambda s: inbox.retry_later(s, row_id, token, delay, error), durable=True)

    async def _save(
        self, row_id: int, token: str, messages: Messages, also: Callable[[Session], Any] | None = None
    ) -> Messages:
        """Save the answer (and any side effect, in the same transaction) before sending it."""

        def work(session: Session) -> bool:
            if not inbox.save_outbox(session, row_id, token, messages):
                return False
            if also is not None:
                also(session)
            return True

        await self._fenced(work)
        return messages

    # Housekeeping -------------------------------------------------------------------------------------------

    def housekeeping(self) -> None:
        """Forget finished inbox rows, and residents who unfollowed longer ago than the retention period."""
        with transaction(self._factory) as session:
            inbox.purge_finished(session, utcnow() - timedelta(days=self.options.keep_done_days))
            for resident_key in inbox.due_for_deletion(session):
                forget_resident(session, resident_key)


def build_worker(
    settings: Settings, factory: sessionmaker[Session], chat: ChatService, options: LineOptions | None = None
) -> tuple[LineWorker, LineClient] | None:
    """The inbox worker and its LINE client, or None when no access token is configured (events are stored,
    not answered, and an error says why)."""
    access_token = settings.line_channel_access_token.get_secret_value()
    if not access_token:
        if settings.line_channel_secret.get_secret_value():
            log.error("LINE_CHANNEL_ACCESS_TOKEN is not set: LINE events are stored but not answered")
        return None
    options = options or LineOptions.from_settings(settings)
    line_client = LineClient(
        access_token, settings.line_api_base_url, settings.line_data_api_base_url, options.policy
    )
    photos = PhotoStore.from_settings(settings)
    wording = for_settings(settings)
    worker = LineWorker(factory, chat, line_client, photos, options, settings.contact, wording)
    worker.answerer.city_dir = settings.city_data_dir  # the areas 「登録情報」 offers
    return worker, line_client
