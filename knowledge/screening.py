"""Screening of resident input that must never get a confident FAQ answer.

Prompt-injection attempts, abuse, emoji-only or symbol-only messages and keyboard mashing are recognised
here before (and independently of) retrieval scores. Retrieval adds its own "no meaningful overlap" test
in :mod:`knowledge.search`.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["screen"]

_INJECTION = re.compile(
    "|".join(
        [
            r"ignore\s+(all\s+|the\s+|any\s+)?(previous|prior|above|earlier)",
            r"disregard\s+(all\s+|the\s+)?(previous|prior|above|instructions)",
            r"system\s*prompt",
            r"you\s+are\s+now\b",
            r"jailbreak",
            r"developer\s+mode",
            r"act\s+as\s+(an?\s+)?(unrestricted|evil|dan\b)",
            r"\bdan\s+mode",
            r"reveal\s+(your|the)\s+(instructions|prompt|rules)",
            r"</?(script|system|assistant|iframe)\b",
            r"\bdrop\s+table\b",
            r"\bunion\s+select\b",
            r"\brm\s+-rf\b",
            r"(これまで|以前|前|上記|先ほど)の(指示|命令|設定|ルール|プロンプト)を(すべて|全て|全部)?(無視|忘れ)",
            r"(指示|命令|ルール|制約)を(すべて|全て|全部)?(無視|忘れ)",
            r"システム\s*プロンプト",
            r"プロンプトを(教え|表示|見せ|出力)",
            r"開発者モード",
            r"脱獄",
            r"制限を(解除|外し)",
            r"あなたは(今から|これから)",
            r"管理者(権限|モード)",
        ]
    ),
    re.IGNORECASE,
)

_ABUSE = re.compile(
    r"死ね|しね[!！ ]|殺すぞ|ぶっ殺|ころすぞ|クソ野郎|くそやろう|ゴミ野郎|\bfuck|\bshit\b|\bbitch\b|きもい|キモい"
)

_REPEATED = re.compile(r"(.)\1{4,}")
_ASCII_WORD = re.compile(r"[a-z]{4,}")
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEYBOARD_RUNS = {row[i : i + 5] for row in _KEYBOARD_ROWS for i in range(len(row) - 4)} | {
    row[::-1][i : i + 5] for row in _KEYBOARD_ROWS for i in range(len(row) - 4)
}
_VOWELS = set("aeiouy")


def _letters(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def _looks_like_mashing(text: str) -> bool:
    letters = _letters(text).lower()
    if not letters:
        return False
    if _REPEATED.search(letters) and len(set(letters)) <= 3:
        return True
    if letters.isascii():
        for word in _ASCII_WORD.findall(letters):
            if len(word) >= 5 and not (_VOWELS & set(word)):
                return True
            if any(word[i : i + 5] in _KEYBOARD_RUNS for i in range(len(word) - 4)):
                return True
    return False


def screen(text: str) -> str | None:
    """Why ``text`` must get ``unknown`` without searching, or ``None`` when it may be searched.

    Reasons: ``empty`` (nothing but symbols, emoji or spaces), ``injection``, ``abuse``, ``mashing``.
    """
    normal = unicodedata.normalize("NFKC", text)
    if not _letters(normal):
        return "empty"
    if _INJECTION.search(normal):
        return "injection"
    if _ABUSE.search(normal):
        return "abuse"
    if _looks_like_mashing(normal):
        return "mashing"
    return None
