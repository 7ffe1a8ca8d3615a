"""The FAQ knowledge-base model: one entry per question the city answers.

Pure data and validation; reading/writing files lives in :mod:`knowledge.kb_io`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import quote, urlparse
from zoneinfo import ZoneInfo

# A city's ids are kept as written (Q-001, F001, VAC-001, 123, 粗大ごみ-1): an id is 1–80 characters (the
# store's column), without spaces, "/" or "\\" (they break the console's URLs and space-separated lists), and
# short enough that, percent-encoded, it fits a URL and a LINE postback (300 characters) whole.
MAX_ID_LENGTH = 80
MAX_ID_URL_LENGTH = 240
_ID_FORBIDDEN = ("/", "\\")
# Control characters other than tab and line breaks (what a spreadsheet cell cannot hold either).
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Longest values the knowledge-base store keeps (bot/storage/models.py FaqRow).
MAX_LENGTHS = {"category": 64, "department": 128}
# Dates as staff and Excel write them: 2024-04-01, 2024/4/1 (Japanese Excel's CSV, with " 0:00" when the cell
# held a date-time), 2024.4.1, 2024年4月1日.
_DATE = re.compile(
    r"^(\d{4})\s*(?:[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日)"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)

__all__ = [
    "FaqEntry",
    "MAX_ID_LENGTH",
    "MAX_ID_URL_LENGTH",
    "MAX_LENGTHS",
    "active_entries",
    "entry_problems",
    "id_problem",
    "id_url_length",
    "is_valid_id",
    "is_valid_url",
    "japan_today",
    "parse_date",
]


JAPAN_TZ = ZoneInfo("Asia/Tokyo")


def japan_today() -> date:
    """Today's date in Japan, whatever the server's time zone (servers often run on UTC)."""
    return datetime.now(JAPAN_TZ).date()


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ answer the city publishes.

    ``id`` is the city's own id, kept as written and never reused (see :func:`id_problem`). ``alt_questions`` are other ways
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


def id_url_length(value: str) -> int:
    """The id's length once percent-encoded (UTF-8), as it travels in a URL or a LINE postback."""
    return len(quote(value, safe=""))


def id_problem(value: str) -> str | None:
    """Why ``value`` cannot be an FAQ id (Japanese / English, with the fix), or None when it can."""
    if not value:
        return (
            "ID(番号)が空です。行ごとに別の ID を入れてください / the id is empty: give every row its own id"
        )
    if any(ch.isspace() for ch in value):
        return (
            f"ID「{value}」に空白があります。空白を「-」にしてください(例: Q-001) / "
            f"the id {value!r} contains a space: write it without spaces, e.g. Q-001"
        )
    if any(ch in value for ch in _ID_FORBIDDEN):
        return (
            f"ID「{value}」に「/」「\\」は使えません。「-」にしてください(例: Q-001) / "
            f"the id {value!r} contains '/' or '\\' (they break the console's links): use '-' instead"
        )
    if not value.isprintable() or value.strip(".") == "":
        return (
            f"ID {value!r} に使えない文字があります。英数字・日本語・「-」「_」で書いてください / "
            "the id contains characters an id cannot hold: use letters, digits, Japanese, '-' or '_'"
        )
    if len(value) > MAX_ID_LENGTH or id_url_length(value) > MAX_ID_URL_LENGTH:
        return (
            f"ID「{value[:20]}…」が長すぎます。英数字なら{MAX_ID_LENGTH}文字、日本語なら26文字までにしてください / "
            f"the id is too long: at most {MAX_ID_LENGTH} ASCII or 26 Japanese characters"
        )
    return None


def is_valid_id(value: str) -> bool:
    """Any id a city uses, kept as written (:func:`id_problem` says what is refused and why)."""
    return id_problem(value) is None


def parse_date(text: str) -> date:
    """``2024-04-01``, ``2024/4/1`` (with or without a time, as Japanese Excel writes it), ``2024.4.1`` or
    ``2024年4月1日``; ValueError for anything else, including days that do not exist."""
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError(text)
    year, month, day = match.group(1), match.group(2) or match.group(4), match.group(3) or match.group(5)
    return date(int(year), int(month), int(day))


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
    id_message = id_problem(entry.id)
    if id_message:
        problems.append(("id", id_message))
    if not entry.question.strip():
        problems.append(("question", "質問が空です。質問を書いてください / the question is empty: write it"))
    if not entry.answer.strip():
        problems.append(("answer", "回答が空です。回答を書いてください / the answer is empty: write it"))
    if entry.url.strip() and not is_valid_url(entry.url):
        problems.append(
            (
                "url",
                f"URL「{entry.url}」は http:// か https:// で始めてください(なければ空欄に) / "
                f"the url {entry.url!r} must start with http:// or https:// (or leave it empty)",
            )
        )
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(entry, name)) > limit:
            problems.append(
                (name, f"{name} は{limit}文字以内にしてください / {name} is longer than {limit} characters")
            )
    for name, text in _texts(entry):
        if CONTROL_CHARS.search(text):  # NUL: no database text column takes it; the rest: no .xlsx export
            problems.append(
                (name, "使えない制御文字があります。消してください / contains a control character: delete it")
            )
    if entry.valid_from and entry.valid_to and entry.valid_from > entry.valid_to:
        problems.append(
            (
                "valid_to",
                "掲載終了日が開始日より前です。日付を確かめてください / valid_to is before valid_from: check the dates",
            )
        )
    return problems


def _texts(entry: FaqEntry) -> list[tuple[str, str]]:
    names = ("question", "answer", "category", "department", "url", "answer_en", "answer_easy")
    lists = [("alt_questions", "".join(entry.alt_questions)), ("keywords", "".join(entry.keywords))]
    return [(name, getattr(entry, name)) for name in names] + lists


def active_entries(entries: list[FaqEntry], today: date | None = None) -> list[FaqEntry]:
    """The entries shown on ``today``."""
    return [e for e in entries if e.is_active(today)]
