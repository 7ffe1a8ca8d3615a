"""LINE messages for surveys, the resident profile and the satisfaction check: postback quick replies, the
invitation with its 「回答する」 button, and adding choices to an answer without taking its own buttons.

Built with the SDK's models like messages.py, within LINE's limits (13 quick-reply items, 20-character labels,
300 characters of postback data); what is built here never reaches LINE as a 400.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from linebot.v3.messaging import (
    ButtonsTemplate,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TemplateMessage,
    TextMessage,
)

from channels.line.messages import (
    MAX_ACTION_TEXT,
    MAX_LABEL,
    MAX_MESSAGES_PER_CALL,
    MAX_QUICK_REPLY_ITEMS,
    MAX_TEMPLATE_TEXT,
    clamp,
    text_messages,
)

MAX_ALT_TEXT = 400

# (label, postback data): tapping shows the label in the chat as the resident's words and sends the data
Choice = tuple[str, str]


def postback_quick_reply(items: Iterable[Choice]) -> QuickReply | None:
    """Postback quick replies (the label is shown as what the resident said), at most 13, labels clamped."""
    out: list[QuickReplyItem] = []
    seen: set[str] = set()
    for label, data in items:
        label = clamp(label, MAX_LABEL)
        if not label or not data or data in seen:
            continue
        seen.add(data)
        action = PostbackAction(label=label, data=data, displayText=clamp(label, MAX_ACTION_TEXT))
        out.append(QuickReplyItem(action=action))
        if len(out) == MAX_QUICK_REPLY_ITEMS:
            break
    return QuickReply(items=out) if out else None


def ask(texts: Sequence[str], choices: Iterable[Choice] = ()) -> list[dict[str, Any]]:
    """Texts (split and packed as usual) with the choices as postback quick replies on the last one."""
    return text_messages([t for t in texts if t and t.strip()], postback_quick_reply(choices))


def invitation(text: str, button: str, data: str, alt: str) -> list[dict[str, Any]]:
    """The pushed invitation: the text, then a buttons card whose one button (`button`) sends `data`.

    The card stays in the chat after other messages (a quick reply would vanish), so the resident can answer
    later; it counts as one message of the month's allowance with the text (LINE counts per recipient)."""
    card = TemplateMessage(
        altText=clamp(alt, MAX_ALT_TEXT),
        template=ButtonsTemplate(
            text=clamp(alt, MAX_TEMPLATE_TEXT),
            actions=[PostbackAction(label=clamp(button, MAX_LABEL), data=data, displayText=button)],
        ),
    )
    return [*text_messages([text]), card.to_dict()]


def quick_items(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The quick-reply items a message carries (JSON form), empty when it has none."""
    return list((message.get("quickReply") or {}).get("items") or [])


def append_question(
    messages: list[dict[str, Any]], text: str, choices: Sequence[Choice]
) -> list[dict[str, Any]] | None:
    """`messages` with one more text asking `text`, answered by `choices` (postbacks).

    The last message's own quick replies (LINE shows only the last message's) move behind the new choices, so
    nothing the answer offered is lost. None when there is no room: already 5 messages in the call, or the
    answer ends with a card (its buttons are a question of their own)."""
    if not messages or len(messages) >= MAX_MESSAGES_PER_CALL or messages[-1].get("type") != "text":
        return None
    own = quick_items(messages[-1])
    ours = postback_quick_reply(choices)
    items = [i.to_dict() for i in ours.items] if ours else []
    room = MAX_QUICK_REPLY_ITEMS - len(items)
    shown = {str(i.get("action", {}).get("label")) for i in items}
    items += [i for i in own if str(i.get("action", {}).get("label")) not in shown][:room]
    first = [dict(m) for m in messages]
    first[-1].pop("quickReply", None)
    question = TextMessage(text=text).to_dict()
    if items:
        question["quickReply"] = {"items": items}
    return [*first, question]
