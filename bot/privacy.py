"""Personal data handling: resident keys (HMAC pseudonyms) and masking before text reaches storage or logs."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Callable, Iterable

# What people put between digit groups: spaces, hyphens, dots and slashes (1234.5678.9012, 090/1234/5678).
_SEP = r"[\s\-‐－./]"


def _phone(match: re.Match[str]) -> str:
    """A Japanese phone number has 10–11 digits (0…) or 9–10 after +81; anything shorter is not one
    (case numbers like R-2026-000123, amounts, ids)."""
    digits = re.sub(r"\D", "", match.group(0))
    if digits.startswith("81") and match.group(0).startswith("+"):
        ok = 9 <= len(digits) - 2 <= 10
    else:
        ok = 10 <= len(digits) <= 11
    return "[電話番号]" if ok else match.group(0)


# Order matters: the longest / most specific patterns first.
_PATTERNS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+"), "[メール]"),  # RFC 5322 local part
    # Phone numbers in international form first, so +81… is never taken for a personal number.
    (re.compile(r"\+81[\s\-]?\(?0?\)?\d{1,4}[\s\-‐－(（]{0,2}\d{1,4}[\s\-‐－)）]{0,2}\d{3,4}(?!\d)"), _phone),
    # 12-digit personal number (マイナンバー), with optional spaces/hyphens in 4-4-4 groups.
    (re.compile(rf"(?<![\d+])\d{{4}}{_SEP}?\d{{4}}{_SEP}?\d{{4}}(?!\d)"), "[個人番号]"),
    # Japanese phone numbers: 0X-XXXX-XXXX style, 10–11 digits (checked by `_phone`).
    (
        re.compile(
            r"(?<![\d\-‐－])[(（]?0\d{1,4}[\s\-‐－()（）./]{0,2}\d{1,4}[\s\-‐－)）./]{0,2}\d{3,4}(?!\d)"
        ),
        _phone,
    ),
    # Postal code and the street-number tail of an address (〒123-4567, 1丁目2番3号, 1-2-3).
    (re.compile(r"〒?\s?(?<!\d)\d{3}[\-‐－]\d{4}(?![\d\-‐－])"), "[郵便番号]"),
    (re.compile(r"\d{1,4}丁目\s?\d{1,4}(?:番地?|[\-‐－])?\s?\d{0,4}号?"), "[番地]"),
    (re.compile(r"(?<!\d)\d{1,5}番地?\s?\d{1,4}号?(?!\d)"), "[番地]"),
    # 1-2-3 after a place name (not a date: dates start with a 4-digit year and are left alone).
    (
        re.compile(r"(?<=[\u3040-\u30ff\u4e00-\u9fff])\d{1,3}[\-‐－]\d{1,4}[\-‐－]\d{1,4}(?![\d\-‐－])"),
        "[番地]",
    ),
]

_FULLWIDTH = str.maketrans("０１２３４５６７８９－＠．＋／", "0123456789-@.+/")
# Between digits, a long-vowel mark or dash typed by the IME (０９０ー１２３４…) is a hyphen.
_DIGIT_DASH = re.compile(r"(?<=\d)[ー−―‐‑–—](?=\d)")


def mask_pii(text: str) -> str:
    """Replace phone numbers, 12-digit personal numbers, e-mail addresses, postal codes and house numbers."""
    if not text:
        return text
    masked = _DIGIT_DASH.sub("-", text.translate(_FULLWIDTH))
    for pattern, label in _PATTERNS:
        masked = pattern.sub(label, masked)
    return masked


def resident_key(secret: str, channel: str, resident_id: str) -> str:
    """The resident key: a stable, non-reversible HMAC of (channel, resident_id) for one resident on one channel.

    `resident_id` is the raw id the channel knows (LINE userId, the widget's `sender_id`): personal data, never
    stored or logged. The key is what Rasa (`tracker.sender_id`), storage, logs and actions see.
    """
    digest = hmac.new(secret.encode(), f"{channel}:{resident_id}".encode(), hashlib.sha256).hexdigest()
    return f"{channel}-{digest[:32]}"


# --- logs ---------------------------------------------------------------------------------------------

OUR_LOGGERS = ("bot", "channels", "actions", "knowledge", "uvicorn.error", "rasa_sdk")
_formatter = logging.Formatter()
_install_lock = threading.Lock()


class PiiMaskingFilter(logging.Filter):
    """Masks PII in a record's final message and exception text (the record keeps no unmasked args)."""

    def __init__(self, prefixes: Iterable[str] = OUR_LOGGERS) -> None:
        super().__init__()
        self.prefixes = tuple(prefixes)

    def applies(self, name: str) -> bool:
        return any(name == p or name.startswith(p + ".") for p in self.prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_pii_masked", False) or not self.applies(record.name):
            return True
        mask_record(record)
        return True


def mask_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the raw template, masked
        message = f"{record.msg} {record.args!r}"
    record.msg = mask_pii(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = _formatter.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_pii(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_pii(record.stack_info)
    record._pii_masked = True  # type: ignore[attr-defined]


def install_log_masking(prefixes: Iterable[str] = OUR_LOGGERS) -> None:
    """Mask PII in every log record of our loggers, whatever handler writes it (idempotent).

    Installed as a log record factory, so it also covers handlers added later (uvicorn's, Sanic's) and records
    that propagate from child loggers (logger-level filters do not see those).
    """
    with _install_lock:
        current = logging.getLogRecordFactory()
        if getattr(current, "_madoguchi_masking", False):
            return
        masking = PiiMaskingFilter(prefixes)

        def factory(*args, **kwargs):  # type: ignore[no-untyped-def]
            record = current(*args, **kwargs)
            masking.filter(record)
            return record

        factory._madoguchi_masking = True  # type: ignore[attr-defined]
        factory._madoguchi_previous = current  # type: ignore[attr-defined]
        logging.setLogRecordFactory(factory)


def uninstall_log_masking() -> None:
    """Undo `install_log_masking` (tests)."""
    with _install_lock:
        current = logging.getLogRecordFactory()
        if getattr(current, "_madoguchi_masking", False):
            logging.setLogRecordFactory(current._madoguchi_previous)  # type: ignore[attr-defined]
