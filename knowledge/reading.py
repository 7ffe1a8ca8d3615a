"""Hiragana readings of Japanese text (fugashi + unidic-lite), for kana-only queries and IME typos.

A resident who types 「じょせつしゃ」 or mistypes 除雪車 as 除雪者 still shares the reading
じょせつしゃ with the FAQ. Unknown words keep their surface form. The tagger is created on first use; a
process keeps one :class:`Reader` (the search and the gateway's furigana hold theirs) and passes it on.
"""

from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache
from typing import Any

from knowledge.normalize import katakana_to_hiragana

__all__ = ["Reader"]


class Reader:
    """Converts text to its hiragana reading; one lazily created fugashi tagger per instance."""

    def __init__(self, dicdir: str | None = None) -> None:
        self._dicdir = dicdir
        self._tagger: Any = None
        self._lock = threading.Lock()
        self._cached = lru_cache(maxsize=50_000)(self._read_uncached)

    def warm_up(self) -> None:
        self._get_tagger()

    def _get_tagger(self) -> Any:
        if self._tagger is None:
            with self._lock:
                if self._tagger is None:
                    import fugashi  # heavy native import, only when first needed

                    args = f"-d {self._dicdir}" if self._dicdir else ""
                    try:
                        self._tagger = fugashi.Tagger(args)
                    except RuntimeError as exc:  # pragma: no cover - depends on the install
                        raise RuntimeError(
                            "Could not start the Japanese tokenizer (fugashi + unidic-lite). "
                            "Install unidic-lite / 形態素解析辞書 unidic-lite が見つかりません"
                        ) from exc
        return self._tagger

    def read(self, text: str) -> str:
        """The hiragana reading of ``text`` (NFKC first); ASCII and unknown words stay as written."""
        return self._cached(unicodedata.normalize("NFKC", text))

    def _read_uncached(self, text: str) -> str:
        if not text.strip():
            return ""
        tagger = self._get_tagger()
        parts: list[str] = []
        with self._lock:  # MeCab taggers are not safe to share between threads
            words = [(w.surface, getattr(w.feature, "kana", None), w.white_space) for w in tagger(text)]
        for surface, kana, white_space in words:
            if white_space:
                parts.append(" ")
            if kana and kana != "*" and not _is_symbol(surface):
                parts.append(kana)
            else:
                parts.append(surface)
        return katakana_to_hiragana("".join(parts)).strip()


def _is_symbol(surface: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in surface)
