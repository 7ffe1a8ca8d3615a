"""The FAQ spreadsheet's columns and the names cities give them in their own files.

Every column has an English name (what :func:`knowledge.kb_io.write_kb_file` writes) and the Japanese names
city staff use (``番号,質問,回答,分類,担当課,URL``…). Names are compared after NFKC (full-width ``ＵＲＬ`` and
``回答（英語）`` read as ``URL`` and ``回答(英語)``), ignoring case and spaces. A few columns that city FAQ sheets
carry for their own bookkeeping (備考, 更新日…) are skipped with a warning; any other unknown column is an error,
so that a misspelt name never silently drops what staff wrote.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

__all__ = [
    "ALIASES",
    "ALL_COLUMNS",
    "HeaderReading",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "SKIPPED",
    "TRANSLATION_COLUMN",
    "read_header",
]

ALL_COLUMNS = (
    "id",
    "question",
    "answer",
    "category",
    "department",
    "url",
    "alt_questions",
    "keywords",
    "answer_en",
    "answer_easy",
    "valid_from",
    "valid_to",
)
REQUIRED_COLUMNS = ("id", "question", "answer")
OPTIONAL_COLUMNS = tuple(name for name in ALL_COLUMNS if name not in REQUIRED_COLUMNS)
TRANSLATION_COLUMN = re.compile(r"^answer_([a-z]{2,3})$")  # answer_zh, answer_ko, answer_vi, answer_pt…

# The names cities and the console use for each column (the console's labels are in bot/admin/faq_forms.py).
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("番号", "No", "No.", "ID", "項番", "管理番号", "質問番号", "FAQ番号", "FAQ ID"),
    "question": ("質問", "質問内容", "質問文", "問い", "Q"),
    "answer": ("回答", "回答内容", "回答文", "答え", "A"),
    "category": ("分類", "カテゴリ", "カテゴリー", "ジャンル"),
    "department": ("担当課", "担当", "担当部署", "担当部局", "所管課", "問い合わせ先の課"),
    "url": ("URL", "リンク", "参考URL", "関連URL", "関連リンク", "リンク先"),
    "alt_questions": ("言い換え", "言い換え(別の聞き方)", "別の聞き方", "類似質問"),
    "keywords": ("キーワード", "検索キーワード"),
    "answer_en": ("回答(英語)", "英語の回答"),
    "answer_easy": ("回答(やさしい日本語)", "やさしい日本語"),
    "valid_from": ("掲載開始日", "公開開始日", "開始日"),
    "valid_to": ("掲載終了日", "公開終了日", "終了日"),
}
# Bookkeeping columns of city FAQ sheets and of the open-data FAQ template: read past, with a warning.
SKIPPED = (
    "備考",
    "メモ",
    "更新日",
    "最終更新日",
    "作成日",
    "登録日",
    "全国地方公共団体コード",
    "地方公共団体名",
    "都道府県名",
    "市区町村名",
)


def _key(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).lower()


_CANONICAL: dict[str, str] = {_key(name): name for name in ALL_COLUMNS}
_CANONICAL.update({_key(alias): name for name, aliases in ALIASES.items() for alias in aliases})
_SKIPPED = {_key(name) for name in SKIPPED}


def _known_names() -> str:
    return ", ".join(f"{name}({ALIASES[name][0]})" for name in ALL_COLUMNS)


@dataclass
class HeaderReading:
    """What the header row says: the column each position holds (None: skipped), and what to tell staff.

    ``errors`` and ``warnings`` are ``(column label, message)`` pairs, all on row 1."""

    columns: list[str | None] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # column -> its header in the file

    def shown(self, column: str) -> str:
        """How to name ``column`` to staff: as their file does (``URL``; ``番号(id)`` when its header said 番号)."""
        label = self.labels.get(column, column)
        return label if _key(label) == column else f"{label}({column})"


def read_header(labels: list[str]) -> HeaderReading:
    """Map the header row's labels onto the columns; report unknown, doubled and missing columns."""
    reading = HeaderReading()
    renamed: list[str] = []
    first_label = reading.labels
    for position, label in enumerate(labels, start=1):
        key = _key(label)
        translation = TRANSLATION_COLUMN.match(key)
        name = _CANONICAL.get(key) or (translation.group(0) if translation else None)
        if name is None:
            reading.columns.append(None)
            if key in _SKIPPED:
                reading.warnings.append((label, _skipped(label)))
            else:
                reading.errors.append((label or f"({position})", _unknown(label, position)))
            continue
        if name in first_label:
            reading.errors.append((label, _twice(first_label[name], label, name)))
            reading.columns.append(None)
            continue
        first_label[name] = label
        reading.columns.append(name)
        if key != name:
            renamed.append(f"{label}→{name}")
    for name in REQUIRED_COLUMNS:
        if name not in first_label:
            reading.errors.append((name, _missing(name)))
    if renamed:
        reading.warnings.append(
            ("", f"列名を読み替えました: {', '.join(renamed)} / columns read as: {', '.join(renamed)}")
        )
    return reading


def _skipped(label: str) -> str:
    return (
        f"列「{label}」は取り込みません(住民への回答には使いません) / "
        f"column {label!r} is not imported (residents never see it)"
    )


def _unknown(label: str, position: int) -> str:
    if not label:
        return (
            f"{position}列目に見出しがありません。見出しを付けるか、列を削除してください / "
            f"column {position} has no header: name it or delete the column"
        )
    return (
        f"列名「{label}」は読めません。次のどれかに直すか、不要な列なら削除してください: {_known_names()} / "
        f"unknown column {label!r}: rename it to one of the names above, or delete it"
    )


def _twice(first: str, again: str, name: str) -> str:
    return (
        f"列「{first}」と「{again}」はどちらも {name} として読めます。片方の列名を変えるか、列を削除してください / "
        f"columns {first!r} and {again!r} are both {name}: rename or delete one of them"
    )


def _missing(name: str) -> str:
    names = "」か「".join([name, *ALIASES[name][:2]])
    return (
        f"{ALIASES[name][0]}({name})の列がありません。見出しを「{names}」にしてください / "
        f"the {name} column is missing: name its header {name} or {ALIASES[name][0]}"
    )
