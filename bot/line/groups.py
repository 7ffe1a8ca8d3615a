"""Groups and rooms: madoguchi answers residents one to one only. When it is added to a group or a multi-person
chat (or anything happens in one it is still in), it says so once and leaves.

Personal questions do not belong in a group chat, and a group's messages would reach Rasa under no one's
resident_key. docs/deploy.md also says how to turn group joining off in the LINE Official Account Manager.
"""

from __future__ import annotations

import logging

from channels.line import messages as lm
from channels.line.client import REPLY_TOKEN_FRESH_S, LineApiError, LineClient, LineUnavailable
from channels.line.events import LineEvent

log = logging.getLogger(__name__)

# The bot was removed, or a member left: there is no one to tell and nothing to leave.
GONE = frozenset({"leave", "memberLeft"})


async def leave_group(line_client: LineClient, event: LineEvent, notice: str = lm.GROUP_NOTICE) -> bool:
    """Tell the group (by reply, while the token is fresh: never a push) and leave it; True when it left."""
    chat_id = event.chat_id
    if event.type in GONE or not chat_id:
        return False
    if event.reply_token and event.age_s() <= REPLY_TOKEN_FRESH_S:
        try:
            await line_client.reply(event.reply_token, lm.text_messages([notice]))
        except (LineApiError, LineUnavailable) as exc:  # e.g. an earlier attempt used the token
            log.info("LINE %s: notice not sent (%s); leaving anyway", event.source_type, exc)
    try:
        await line_client.leave(event.source_type, chat_id)
    except (LineApiError, LineUnavailable) as exc:
        log.warning("LINE %s: could not leave (%s)", event.source_type, exc)
        return False
    log.info("LINE: left a %s (madoguchi answers in 1:1 chats only)", event.source_type)
    return True
