"""Build Messaging API message objects within LINE's limits.

Messages are built with the SDK's models (so field names follow the real API) and handed on as JSON-ready
dicts: the client (client.py) posts them and the inbox can store them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode

from linebot.v3.messaging import (
    ButtonsTemplate,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TemplateMessage,
    TextMessage,
    URIAction,
)

MAX_MESSAGES_PER_CALL = 5
MAX_TEXT_UTF16 = 5000
MAX_QUICK_REPLY_ITEMS = 13
MAX_LABEL = 20
MAX_ACTION_TEXT = 300
MAX_POSTBACK_DATA = 300
MAX_TEMPLATE_TEXT = 160
MAX_URI = 1000

FEEDBACK_QUESTION = "この回答は役に立ちましたか？"
FEEDBACK_YES = "役に立った"
FEEDBACK_NO = "役に立たなかった"
LINK_LABEL = "詳しく見る"

MENU_TEXTS = ("よくある質問", "ごみの日", "休日当番医", "除雪", "道路などの通報", "問い合わせ先")

STICKER_REPLY = (
    "スタンプありがとうございます😊\n"
    "ご質問は「粗大ごみの出し方」「住民票を取りたい」のように文章で送ってください。"
    "下のメニューからも選べます。"
)
FEEDBACK_THANKS_YES = "ご回答ありがとうございます。お役に立ててうれしいです。"
FEEDBACK_THANKS_NO = (
    "ご回答ありがとうございます。いただいたご意見は回答の改善に使わせていただきます。"
    "言葉を変えてもう一度質問していただくか、下の「問い合わせ先」から担当窓口をご確認ください。"
)
UNSUPPORTED_REPLY = (
    "申し訳ありません。この種類のメッセージにはお答えできません。ご質問は文章で送ってください。"
)
PHOTO_FAILED_REPLY = (
    "申し訳ありません。写真を受け取ることができませんでした。お手数ですが、もう一度送ってください。"
)
PHOTOS_NOT_ACCEPTED = (
    "申し訳ありません。この窓口では写真を受け付けていません。場所や様子は文章でお知らせください。"
)
REPORT_IN_PROGRESS = "通報の入力の途中です。続けて、次の質問にお答えください(やめるときは「やめる」)。"
MEDIA_DURING_REPORT = "動画・音声・ファイルは受け取れません。様子がわかる写真(画像)を送ってください。"
GROUP_NOTICE = (
    "このアカウントは、1対1のトークでご質問にお答えしています。"
    "お手数ですが、アカウントを友だち追加して、個別のトークでお話しください。このグループからは退出します。"
)


def fallback_reply(contact: str = "") -> str:
    """Sent instead of an answer LINE refused (HTTP 400): the resident is never left with silence."""
    where = f"\nお急ぎの場合の窓口: {contact}" if contact else ""
    return "申し訳ありません。うまくお答えできませんでした。言葉を変えてもう一度お試しください。" + where


def rate_limited_reply(wait_s: float) -> str:
    """Told once when a resident sends more messages a minute than the gateway answers."""
    seconds = max(1, math.ceil(wait_s))
    return (
        "短い時間にたくさんのメッセージが届いたため、しばらくお答えを控えています。"
        f"{seconds}秒ほど待ってから、もう一度送ってください。"
    )


def follow_greeting(city_contact: str = "") -> list[str]:
    """The texts sent when a resident adds the account as a friend (greeting, how to use, privacy)."""
    contact = (
        f"\nお急ぎのご用件や個別のご相談は {city_contact} へお問い合わせください。" if city_contact else ""
    )
    return [
        "友だち追加ありがとうございます!\n"
        "このアカウントでは、市の手続きや暮らしのご質問に24時間自動でお答えします。",
        "【使い方】\n"
        "・知りたいことを文章で送ってください(例:「粗大ごみの出し方を教えて」「住民票はどこで取れる？」)。\n"
        "・下のメニューから「ごみの日」「休日当番医」「除雪」なども調べられます。\n"
        "・道路の穴や不法投棄などは「道路などの通報」から、写真や位置情報と一緒にお知らせいただけます。",
        "【個人情報の取り扱い】\n"
        "ご質問の内容は、回答とサービス改善のために、電話番号などの個人情報を伏せたうえで記録します。"
        "LINE のユーザーIDは、お知らせをお届けする目的にのみ使い、ブロックされた場合は一定期間ののちに削除します。"
        "自動応答のため、内容によっては正確にお答えできないことがあります。" + contact,
    ]


class QuickReplyLike(Protocol):
    @property
    def label(self) -> str: ...

    @property
    def text(self) -> str: ...


class ReplyLike(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def quick_replies(self) -> Sequence[QuickReplyLike]: ...


def utf16_len(text: str) -> int:
    """Length as LINE counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


_BREAKS = ("\n\n", "\n", "。", "!", "?", "!", "?", ".", "、", ",", " ", " ")


def split_text(text: str, limit: int = MAX_TEXT_UTF16) -> list[str]:
    """Split into pieces of at most `limit` UTF-16 units, preferring paragraph, line, then sentence ends.

    Cuts only between code points, so a surrogate pair is never split.
    """
    text = text.strip()
    pieces: list[str] = []
    while text:
        if utf16_len(text) <= limit:
            pieces.append(text)
            break
        # The longest prefix (in code points) that fits in `limit` UTF-16 units.
        units, cut = 0, 0
        for i, ch in enumerate(text):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > limit:
                cut = i
                break
        window = text[:cut]
        best = -1
        for mark in _BREAKS:
            pos = window.rfind(mark)
            if pos > cut // 2:  # do not leave a tiny first piece
                best = pos + len(mark)
                break
        end = best if best > 0 else cut
        pieces.append(text[:end].rstrip())
        text = text[end:].lstrip("\n")
    return [p for p in pieces if p]


def clamp(text: str, limit: int) -> str:
    """At most `limit` characters (UTF-16 units), ending in … when cut."""
    text = " ".join(text.split())
    if utf16_len(text) <= limit:
        return text
    out = ""
    for ch in text:
        if utf16_len(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def encode_postback(action: str, **fields: str) -> str:
    data = urlencode({"a": action, **fields})
    if len(data) > MAX_POSTBACK_DATA:
        raise ValueError(f"postback data longer than {MAX_POSTBACK_DATA} characters")
    return data


def decode_postback(data: str) -> dict[str, str]:
    """The fields of postback data built by `encode_postback` (empty dict for anything else)."""
    try:
        fields = dict(parse_qsl(data or "", keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return {}
    return fields if "a" in fields else {}


def quick_reply(items: Iterable[tuple[str, str]]) -> QuickReply | None:
    """Message-action quick replies (tapping sends the text, as if typed), deduplicated and within limits."""
    seen: set[str] = set()
    out: list[QuickReplyItem] = []
    for label, text in items:
        text = (text or "").strip() or (label or "").strip()  # a blank text sends the label, as typed
        label = clamp(label or text, MAX_LABEL)
        if not text or not label or text in seen:
            continue
        seen.add(text)
        out.append(QuickReplyItem(action=MessageAction(label=label, text=clamp(text, MAX_ACTION_TEXT))))
        if len(out) == MAX_QUICK_REPLY_ITEMS:
            break
    return QuickReply(items=out) if out else None


def menu_quick_reply() -> QuickReply | None:
    return quick_reply((t, t) for t in MENU_TEXTS)


def text_messages(texts: Iterable[str], quick: QuickReply | None = None) -> list[dict[str, Any]]:
    """Text messages (long texts split, short ones packed together), quick replies on the last one."""
    pieces = [p for t in texts for p in split_text(t)]
    pieces = _pack(pieces, MAX_MESSAGES_PER_CALL)
    messages = [TextMessage(text=p) for p in pieces]
    if quick is not None and messages:
        messages[-1].quick_reply = quick
    return [m.to_dict() for m in messages]


def _pack(pieces: list[str], target: int) -> list[str]:
    """Join neighbouring pieces while there are more than `target` and the joined text still fits."""
    pieces = list(pieces)
    while len(pieces) > target:
        best = None
        for i in range(len(pieces) - 1):
            joined = utf16_len(pieces[i]) + 2 + utf16_len(pieces[i + 1])
            if joined <= MAX_TEXT_UTF16 and (best is None or joined < best[1]):
                best = (i, joined)
        if best is None:
            break
        i = best[0]
        pieces[i : i + 2] = [pieces[i] + "\n\n" + pieces[i + 1]]
    return pieces


def _safe_uri(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    url = url.strip()
    if re.match(r"^https?://[^\s]+$", url) and len(url) <= MAX_URI:
        return url
    return None


def feedback_template(
    faq_id: str, link: dict[str, Any] | None = None, quick: QuickReply | None = None
) -> dict[str, Any]:
    """A buttons template: link to the city page (when there is one) and 役に立った / 役に立たなかった."""
    actions: list[Any] = []
    uri = _safe_uri((link or {}).get("url"))
    if uri:
        label = clamp(str((link or {}).get("label") or LINK_LABEL), MAX_LABEL)
        actions.append(URIAction(label=label, uri=uri))
    for label, helpful in ((FEEDBACK_YES, "1"), (FEEDBACK_NO, "0")):
        actions.append(
            PostbackAction(
                label=label, displayText=label, data=encode_postback("fb", v=helpful, faq=faq_id[:200])
            )
        )
    message = TemplateMessage(
        altText=FEEDBACK_QUESTION, template=ButtonsTemplate(text=FEEDBACK_QUESTION, actions=actions)
    )
    if quick is not None:
        message.quick_reply = quick
    return message.to_dict()


def result_messages(
    replies: Sequence[ReplyLike],
    faq_id: str | None = None,
    link: dict[str, Any] | None = None,
    feedback: bool = True,
) -> list[dict[str, Any]]:
    """The LINE messages for one chat turn.

    Texts first (split and packed); the quick replies of all replies go on the last message (LINE shows
    only that one's); an FAQ answer ends with a link button and feedback buttons. `feedback=False` (an answer
    given in the middle of a report form, which then asks its question again): no feedback card, since it
    would come last and take the form's buttons, and a 「いいえ」 meant for the form would read as "not
    helpful"; the link goes in as text and the buttons stay on the form's question.
    """
    quick = quick_reply((q.label, q.text) for r in replies for q in r.quick_replies)
    texts = [r.text for r in replies if r.text and r.text.strip()]
    if faq_id and feedback:
        messages = text_messages(texts)
        if len(messages) >= MAX_MESSAGES_PER_CALL:  # keep the buttons in the same call as the answer
            messages = text_messages(["\n\n".join(texts)])
        messages.append(feedback_template(faq_id, link, quick))
        return messages
    uri = _safe_uri((link or {}).get("url")) if faq_id else None
    if uri and texts:
        label = str((link or {}).get("label") or LINK_LABEL)
        texts[0] = f"{texts[0]}\n{label}: {uri}"
    return text_messages(texts, quick)
