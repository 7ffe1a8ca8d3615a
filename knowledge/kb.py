"""The FAQ knowledge-base model: one entry per question the city answers.

Pure data and validation; reading/writing files lives in :mod:`knowledge.kb_io`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
# Control characters other than tab and line breaks (what a spreadsheet cell cannot hold either).
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Longest values the knowledge-base store keeps (bot/storage/models.py FaqRow).
MAX_LENGTHS = {"category": 64, "department": 128}

__all__ = [
    "FaqEntry",
    "ID_PATTERN",
    "MAX_LENGTHS",
    "active_entries",
    "entry_problems",
    "is_valid_id",
    "is_valid_url",
    "japan_today",
]


JAPAN_TZ = ZoneInfo("Asia/Tokyo")


def japan_today() -> date:
    """Today's date in Japan, whatever the server's time zone (servers often run on UTC)."""
    return datetime.now(JAPAN_TZ).date()


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ answer the city publishes.

    ``id`` is a stable ASCII slug (never reused). ``alt_questions`` are other ways
    residents ask the same thing; ``keywords`` are extra search terms. ``answer_en`` and
    ``answer_easy`` (やさしい日本語) are optional alternative renderings of the answer.
    ``valid_from``/``valid_to`` bound the period the entry is shown (inclusive).
    """

    id: str
    question: str
    answer: str
    category: str = ""
    department: str = ""
    url: str = ""
    alt_questions: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    answer_en: str = ""
    answer_easy: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    translations: dict[str, str] = field(default_factory=dict)  # answer_<lang> other than answer_en

    def answer_in(self, language: str) -> str:
        """The answer in ``language`` (ISO 639-1: en, zh, ko, vi, pt…) when the city wrote one, else ''."""
        if language == "en":
            return self.answer_en or self.translations.get("en", "")
        return self.translations.get(language, "")

    def is_active(self, today: date | None = None) -> bool:
        """True when ``today`` (default: today in Japan) lies inside the validity period."""
        day = today or japan_today()
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_to is not None and day > self.valid_to)

    def search_questions(self) -> list[str]:
        """The question and its alternatives, in order, without blanks or duplicates."""
        seen: list[str] = []
        for text in [self.question, *self.alt_questions]:
            text = text.strip()
            if text and text not in seen:
                seen.append(text)
        return seen

    def __hash__(self) -> int:  # lists are unhashable; the id is the identity
        return hash(self.id)


def is_valid_id(value: str) -> bool:
    """An id is a lowercase ASCII slug: letters, digits, ``-`` and ``_``, 1–80 chars."""
    return bool(ID_PATTERN.match(value))


def is_valid_url(value: str) -> bool:
    """An absolute http(s) URL with a host. The empty string is *not* valid here."""
    try:
        parsed = urlparse(value.strip())
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and " " not in value.strip()


def entry_problems(entry: FaqEntry) -> list[tuple[str, str]]:
    """Problems with one entry as ``(field, message)`` pairs; empty when the entry is valid.

    ``url`` may be empty (not every answer has a page) but must be http(s) when set.
    """
    problems: list[tuple[str, str]] = []
    if not is_valid_id(entry.id):
        problems.append(("id", f"id must be a lowercase slug [a-z0-9_-], got {entry.id!r}"))
    if not entry.question.strip():
        problems.append(("question", "question is empty / 質問が空です"))
    if not entry.answer.strip():
        problems.append(("answer", "answer is empty / 回答が空です"))
    if entry.url.strip() and not is_valid_url(entry.url):
        problems.append(("url", f"url must start with http:// or https://, got {entry.url!r}"))
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(entry, name)) > limit:
            problems.append((name, f"{name} is longer than {limit} characters / {limit}文字以内で"))
    for name, text in _texts(entry):
        if CONTROL_CHARS.search(text):  # NUL: no database text column takes it; the rest: no .xlsx export
            problems.append((name, "contains a control character / 使えない制御文字が含まれています"))
    if entry.valid_from and entry.valid_to and entry.valid_from > entry.valid_to:
        problems.append(("valid_to", "valid_to is before valid_from / 掲載終了日が開始日より前です"))
    return problems


def _texts(entry: FaqEntry) -> list[tuple[str, str]]:
    names = ("question", "answer", "category", "department", "url", "answer_en", "answer_easy")
    lists = [("alt_questions", "".join(entry.alt_questions)), ("keywords", "".join(entry.keywords))]
    return [(name, getattr(entry, name)) for name in names] + lists


def active_entries(entries: list[FaqEntry], today: date | None = None) -> list[FaqEntry]:
    """The entries shown on ``today``."""
    return [e for e in entries if e.is_active(today)]
