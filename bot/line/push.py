"""Push notifications to a LINE resident known only by resident_key (report status, reminders).

    status = await push_to_resident(factory, settings, "line-3f2a…", ["ご報告の対応が完了しました。"], f"report-{id}-done")

The retry key is derived from `retry_key` (any stable string naming this notification), so calling again after
a crash or a timeout never makes LINE deliver it twice (LINE answers 409, counted as sent). While the month's
message allowance is used up (bot/line/usage.py) nothing is pushed: `deferred`, to be sent later.
"""

from __future__ import annotations

import logging
from typing import Literal

import anyio
from sqlalchemy.orm import Session, sessionmaker

from bot.line.usage import PushGate
from bot.settings import Settings
from bot.storage import line_inbox
from channels.line import messages as lm
from channels.line.client import (
    LineApiError,
    LineClient,
    LineQuotaExhausted,
    LineUnavailable,
    RetryPolicy,
)

log = logging.getLogger(__name__)

PushStatus = Literal["sent", "skipped", "failed", "deferred"]


def _lookup(factory: sessionmaker[Session], resident_key: str) -> str | None:
    with factory() as session:
        return line_inbox.push_target(session, resident_key)


async def push_to_resident(
    factory: sessionmaker[Session],
    settings: Settings,
    resident_key: str,
    texts: list[str],
    retry_key: str,
    *,
    line_client: LineClient | None = None,
    policy: RetryPolicy | None = None,
) -> PushStatus:
    """Push `texts` to the resident behind `resident_key`.

    `skipped`: not a LINE resident, unknown, unfollowed, or LINE not configured. `failed`: LINE refused or stayed
    unavailable after the retries; `deferred`: the month's message allowance is used up (both safe to call again
    later with the same `retry_key`).
    """
    if not resident_key.startswith("line-") or not any(t.strip() for t in texts):
        return "skipped"
    user_id = await anyio.to_thread.run_sync(lambda: _lookup(factory, resident_key))
    if user_id is None:
        return "skipped"
    own = line_client is None
    if line_client is None:
        token = settings.line_channel_access_token.get_secret_value()
        if not token:
            log.warning("LINE push skipped: LINE_CHANNEL_ACCESS_TOKEN is not set")
            return "skipped"
        line_client = LineClient(token, settings.line_api_base_url, settings.line_data_api_base_url, policy)
    gate = PushGate(factory)
    try:
        if not await gate.allows(line_client):
            return "deferred"
        await line_client.push(user_id, lm.text_messages(texts), retry_key)
        return "sent"
    except LineQuotaExhausted:
        await gate.exhausted_async(f"push {retry_key}")
        return "deferred"
    except (LineApiError, LineUnavailable) as exc:
        log.warning("LINE push to %s failed: %s", resident_key[:12], exc)
        return "failed"
    finally:
        if own:
            await line_client.aclose()


def push_to_resident_sync(
    factory: sessionmaker[Session], settings: Settings, resident_key: str, texts: list[str], retry_key: str
) -> PushStatus:
    """`push_to_resident` for synchronous callers (CLI, scheduled jobs outside an event loop)."""
    return anyio.run(lambda: push_to_resident(factory, settings, resident_key, texts, retry_key))
