"""The FAQ edit form (parse + validate into a `FaqEntry`) and readable before/after diffs for history."""

from __future__ import annotations

import difflib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from knowledge.kb import FaqEntry, entry_problems, parse_date

LINE_TEXT_LIMIT = 5000  # LINE Messaging API: characters per text message

LABELS = {
    "id": "ID",
    "question": "質問",
    "answer": "回答",
    "category": "分類",
    "department": "担当課",
    "url": "参考URL",
    "alt_questions": "言い換え(別の聞き方)",
    "keywords": "キーワード",
    "answer_en": "回答(英語)",
    "answer_easy": "回答(やさしい日本語)",
    "valid_from": "掲載開始日",
    "valid_to": "掲載終了日",
}


@dataclass
class FaqForm:
    """What the staff member typed, kept as text so a refused form comes back exactly as entered."""

    id: str = ""
    question: str = ""
    answer: str = ""
    category: str = ""
    department: str = ""
    url: str = ""
    alt_questions: str = ""
    keywords: str = ""
    answer_en: str = ""
    answer_easy: str = ""
    valid_from: str = ""
    valid_to: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: Mapping[str, object]) -> FaqForm:
        form = cls()
        for name in TEXT_FIELDS:
            value = data.get(name, "")
            setattr(form, name, value if isinstance(value, str) else "")
        return form

    @classmethod
    def from_entry(cls, entry: FaqEntry) -> FaqForm:
        return cls(
            id=entry.id,
            question=entry.question,
            answer=entry.answer,
            category=entry.category,
            department=entry.department,
            url=entry.url,
            alt_questions="\n".join(entry.alt_questions),
            keywords="、".join(entry.keywords),
            answer_en=entry.answer_en,
            answer_easy=entry.answer_easy,
            valid_from=entry.valid_from.isoformat() if entry.valid_from else "",
            valid_to=entry.valid_to.isoformat() if entry.valid_to else "",
        )

    def to_entry(self) -> FaqEntry | None:
        """The entry, or None with `errors` filled (field -> Japanese message)."""
        self.errors = {}
        dates: dict[str, date | None] = {}
        for name in ("valid_from", "valid_to"):
            text = getattr(self, name).strip()
            try:
                dates[name] = parse_date(text) if text else None
            except ValueError:
                self.errors[name] = "日付は 2024-04-01 か 2024/4/1 の形で入力してください。"
                dates[name] = None
        entry = FaqEntry(
            id=self.id.strip(),
            question=self.question.strip(),
            answer=self.answer.strip(),
            category=self.category.strip(),
            department=self.department.strip(),
            url=self.url.strip(),
            alt_questions=split_lines(self.alt_questions),
            keywords=split_words(self.keywords),
            answer_en=self.answer_en.strip(),
            answer_easy=self.answer_easy.strip(),
            valid_from=dates["valid_from"],
            valid_to=dates["valid_to"],
        )
        messages = {  # the console speaks Japanese; any other problem shows the Japanese half of knowledge's
            "question": "質問を入力してください。",
            "answer": "回答を入力してください。",
            "url": "URL は http:// または https:// で始めてください。",
            "valid_to": "掲載終了日が開始日より前になっています。",
        }
        for name, message in entry_problems(entry):
            self.errors.setdefault(name, messages.get(name) or message.split(" / ")[0])
        for name in ("answer", "answer_en", "answer_easy"):
            if len(getattr(entry, name)) > LINE_TEXT_LIMIT:
                self.errors[name] = (
                    f"LINE で送れるのは {LINE_TEXT_LIMIT:,} 文字までです(現在 {len(getattr(entry, name)):,} 文字)。"
                )
        return None if self.errors else entry


TEXT_FIELDS = [name for name in FaqForm.__dataclass_fields__ if name != "errors"]


def split_lines(text: str) -> list[str]:
    seen: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line and line not in seen:
            seen.append(line)
    return seen


def split_words(text: str) -> list[str]:
    seen: list[str] = []
    for word in re.split(r"[,、，\n|]", text):
        word = word.strip()
        if word and word not in seen:
            seen.append(word)
    return seen


def new_id(today: date) -> str:
    """An id for an entry the staff member left without one, dated by the city's `today` (stable, never
    reused: random suffix)."""
    return f"faq-{today:%Y%m%d}-{secrets.token_hex(3)}"


# --- readable diffs ----------------------------------------------------------------------------------


@dataclass
class FieldChange:
    name: str
    label: str
    segments: list[tuple[str, str]]  # (op, text) with op in equal | delete | insert


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def text_diff(before: str, after: str) -> list[tuple[str, str]]:
    """Character-level segments (Japanese has no spaces, so words are no use)."""
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    segments: list[tuple[str, str]] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("equal", before[a1:a2]))
            continue
        if op in ("delete", "replace"):
            segments.append(("delete", before[a1:a2]))
        if op in ("insert", "replace"):
            segments.append(("insert", after[b1:b2]))
    return segments


def entry_changes(before: dict | None, after: dict | None) -> list[FieldChange]:
    """Changed fields of one history record, in form order."""
    changes = []
    for name, label in LABELS.items():
        old = _as_text((before or {}).get(name))
        new = _as_text((after or {}).get(name))
        if old != new:
            changes.append(FieldChange(name, label, text_diff(old, new)))
    return changes
