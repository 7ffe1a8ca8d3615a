"""Japanese text normalisation for matching resident questions against the FAQ.

Two levels:

* :meth:`Normalizer.clean` — what a model should see: NFKC (full/half width), unified long-vowel and
  wave-dash marks, collapsed whitespace. Meaning-preserving.
* :meth:`Normalizer.key` — a matching key for lexical search: ``clean`` plus lower case, katakana →
  hiragana, common okurigana variants folded (申し込み/申込み → 申込), punctuation and symbols turned
  into spaces, and the staff-editable synonym list applied.

Every output is NFKC-normalised and both functions are idempotent.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = [
    "Normalizer",
    "katakana_to_hiragana",
    "load_synonyms",
    "has_kanji",
    "is_kana_only",
    "is_latin",
    "is_english",
]

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\u2500\u2501"
_WAVES = "~\u301c\u3030\uff5e"
_KANA = r"\u3041-\u3096\u30a1-\u30fa"
_LONG_VOWEL_AFTER_KANA = re.compile(rf"(?<=[{_KANA}\u30fc])[{re.escape(_DASHES + _WAVES)}]+")
_WAVE = re.compile(f"[{re.escape(_WAVES)}]+")
_REPEATED_LONG = re.compile("\u30fc{2,}")
_SPACES = re.compile(r"\s+")

# Okurigana that residents write in several ways. Each tuple is (kanji1, okurigana1, kanji2,
# okurigana2); every spelling with or without the okurigana folds to kanji1+kanji2.
_OKURIGANA_COMPOUNDS: tuple[tuple[str, str, str, str], ...] = (
    ("申", "し", "込", "み"),
    ("申", "し", "立", "て"),
    ("受", "け", "付", "け"),
    ("受", "け", "取", "り"),
    ("引", "っ", "越", "し"),
    ("引", "き", "落", "とし"),
    ("引", "き", "取", "り"),
    ("取", "り", "扱", "い"),
    ("取", "り", "消", "し"),
    ("取", "り", "壊", "し"),
    ("問", "い", "合", "わせ"),
    ("手", "", "続", "き"),
    ("届", "け", "出", ""),
    ("振", "り", "込", "み"),
    ("払", "い", "込", "み"),
    ("払", "い", "戻", "し"),
    ("書", "き", "換", "え"),
    ("切", "り", "替", "え"),
    ("切", "り", "換", "え"),
    ("貸", "し", "出", "し"),
    ("持", "ち", "込", "み"),
    ("立", "ち", "入", "り"),
    ("立", "ち", "会", "い"),
    ("繰", "り", "越", "し"),
    ("割", "り", "引", "き"),
    ("乗", "り", "換", "え"),
    ("呼", "び", "出", "し"),
    ("読", "み", "取", "り"),
    ("見", "", "積", "もり"),
    ("差", "し", "押", "さえ"),
    ("書", "き", "込", "み"),
    ("売", "り", "出", "し"),
    ("建", "て", "替", "え"),
    ("組", "み", "合", "わせ"),
    ("待", "ち", "合", "い"),
)
_SINGLE_OKURIGANA: tuple[tuple[str, str], ...] = (("支払", "い"), ("締切", "り"))


def _compile_okurigana() -> list[tuple[re.Pattern[str], str]]:
    rules: list[tuple[re.Pattern[str], str]] = []
    for k1, o1, k2, o2 in _OKURIGANA_COMPOUNDS:
        parts = [re.escape(k1)]
        if o1:
            parts.append(f"(?:{re.escape(o1)})?")
        parts.append(re.escape(k2))
        if o2:
            parts.append(f"(?:{re.escape(o2)})?")
        rules.append((re.compile("".join(parts)), k1 + k2))
    for stem, oku in _SINGLE_OKURIGANA:
        rules.append((re.compile(re.escape(stem) + re.escape(oku)), stem))
    return rules


_OKURIGANA_RULES = _compile_okurigana()


def katakana_to_hiragana(text: str) -> str:
    """Map katakana (ァ–ヶ, ヽ, ヾ) to hiragana; everything else is kept."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0x30A1 <= code <= 0x30F6 or code in (0x30FD, 0x30FE):
            out.append(chr(code - 0x60))
        else:
            out.append(ch)
    return "".join(out)


def has_kanji(text: str) -> bool:
    """True when ``text`` contains a CJK ideograph."""
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or ch == "\u3005" for ch in text)


def is_kana_only(text: str) -> bool:
    """True when every letter of ``text`` is kana (spaces/punctuation ignored) and there is one."""
    letters = [ch for ch in text if ch.isalnum() or ch == "\u30fc"]
    return bool(letters) and all("\u3041" <= ch <= "\u309f" or "\u30a0" <= ch <= "\u30ff" for ch in letters)


def is_latin(text: str) -> bool:
    """True when the letters of ``text`` are all ASCII (an English or romaji query) and there are some."""
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and all(ch.isascii() for ch in letters)


_CHINESE_MARKERS = frozenset("的吗么怎哪这们没还给让吧呢请问办该需")


def is_foreign(text: str) -> bool:
    """True for a Korean question (Hangul) or a Chinese one (ideographs, no kana, Chinese function words)."""
    if any("\uac00" <= ch <= "\ud7af" or "\u1100" <= ch <= "\u11ff" for ch in text):
        return True
    if any("\u3041" <= ch <= "\u30ff" for ch in text):
        return False
    return sum(ch in _CHINESE_MARKERS for ch in text) >= 2


# A Latin-letter message counts as English when it has a function word or two real-looking words; a keyboard
# mash ("asdfghjkl") or one romanised word ("juminhyo") is not.
_ENGLISH_WORDS = frozenset({
    "a", "an", "the", "i", "you", "my", "me", "we", "is", "are", "am", "was", "do", "does", "did", "can", "could",
    "how", "what", "where", "when", "who", "which", "why", "to", "for", "of", "in", "on", "at", "with", "from",
    "and", "or", "not", "no", "yes", "please", "get", "need", "want", "have", "has", "it", "this", "that", "there",
})  # fmt: skip
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def is_english(text: str) -> bool:
    """True for an English question (mostly ASCII letters, with English words), the cue for English framing."""
    letters = [c for c in text if not c.isspace() and c not in "?!.,'\"-()"]
    if not letters:
        return False
    if sum(1 for c in letters if _ASCII_LETTER.match(c)) / len(letters) <= 0.6:
        return False
    words = [w.lower() for w in re.findall(r"[A-Za-z']+", text)]
    worded = [w for w in words if re.search(r"[aeiouy]", w) and len(w) > 1]
    return bool(set(words) & _ENGLISH_WORDS) or len(worded) >= 2


def question_language(text: str) -> str:
    """The language a resident wrote in: ``ja``, ``en``, ``ko`` or ``zh`` (ISO 639-1; ``ja`` when unsure)."""
    if any("\uac00" <= ch <= "\ud7af" or "\u1100" <= ch <= "\u11ff" for ch in text):
        return "ko"
    if is_english(text):
        return "en"
    if is_foreign(text):
        return "zh"
    return "ja"


def _fold_punctuation(text: str) -> str:
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch == "\u30fc" or ch == "\u3005":
            out.append(ch)
        elif cat[0] in "PSZC":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def load_synonyms(path: str | Path) -> dict[str, str]:
    """Read a staff-editable ``from,to`` CSV (UTF-8, BOM allowed; a header row is optional).

    Blank lines and lines starting with ``#`` are skipped. A missing file gives an empty mapping.
    """
    path = Path(path)
    if not path.exists():
        return {}
    mapping: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
                continue
            if len(row) < 2:
                continue
            source, target = row[0].strip(), row[1].strip()
            if (source.lower(), target.lower()) == ("from", "to"):
                continue
            if source and source != target:
                mapping[source] = target
    return mapping


# Contracting synonyms (ああ→あ) halve a run each round: enough rounds for any text a resident can send.
SYNONYM_ROUNDS = 32


class Normalizer:
    """Normalises text; holds the synonym list (``{variant: canonical}``)."""

    def __init__(self, synonyms: Mapping[str, str] | None = None) -> None:
        self._synonyms: dict[str, str] = {}
        for source, target in (synonyms or {}).items():
            source_key, target_key = self._base_key(source), self._base_key(target)
            if source_key and source_key != target_key:
                self._synonyms[source_key] = target_key
        self._compile()
        # A staff list may hold cycles (A→B, B→A) or chains that never settle: drop the entries whose canonical
        # form would keep changing, so the matching key stays a fixed point.
        for _ in range(len(self._synonyms)):
            unstable = [s for s, t in self._synonyms.items() if not self._settles(t)]
            if not unstable:
                break
            del self._synonyms[unstable[0]]
            self._compile()

    def _compile(self) -> None:
        ordered = sorted(self._synonyms, key=len, reverse=True)
        self._synonym_pattern = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None

    def _settles(self, text: str) -> bool:
        if self._synonym_pattern is None:
            return True
        seen = {text}
        for _ in range(SYNONYM_ROUNDS):
            following = self._apply_synonyms(text)
            if following == text:
                return True
            if following in seen:
                return False
            seen.add(following)
            text = following
        return False

    @classmethod
    def from_csv(cls, path: str | Path | None) -> Normalizer:
        return cls(load_synonyms(path) if path else None)

    @property
    def synonyms(self) -> dict[str, str]:
        return dict(self._synonyms)

    @staticmethod
    def clean(text: str) -> str:
        """NFKC, unified long-vowel/wave marks, single spaces; keeps the script and meaning."""
        return _fixed_point(_clean_once, text)

    def key(self, text: str) -> str:
        """The lexical matching key (see the module doc)."""
        return _fixed_point(self._key_once, text, rounds=SYNONYM_ROUNDS)

    @staticmethod
    def _base_key(text: str) -> str:
        return _fixed_point(_base_key_once, text)

    def _key_once(self, text: str) -> str:
        text = _base_key_once(text)
        if self._synonym_pattern is not None:
            text = self._apply_synonyms(text)
        return text

    def _apply_synonyms(self, text: str) -> str:
        assert self._synonym_pattern is not None
        pieces: list[str] = []
        last = 0
        protected: dict[str, list[tuple[int, int]]] = {}
        for match in self._synonym_pattern.finditer(text):
            source = match.group(0)
            target = self._synonyms[source]
            start = match.start()
            # 'マイナ' -> 'マイナンバー' must not touch an existing 'マイナンバー' (nor any part of one).
            if source in target:
                spans = protected.get(target)
                if spans is None:
                    found = re.finditer(f"(?={re.escape(target)})", text)
                    spans = protected[target] = [(m.start(), m.start() + len(target)) for m in found]
                if any(begin <= start and match.end() <= end for begin, end in spans):
                    continue
            pieces.append(text[last:start])
            pieces.append(target)
            last = match.end()
        pieces.append(text[last:])
        return "".join(pieces)

    def keys(self, texts: Iterable[str]) -> list[str]:
        return [self.key(t) for t in texts]


def _clean_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _LONG_VOWEL_AFTER_KANA.sub("\u30fc", text)
    text = _WAVE.sub("~", text)
    text = _REPEATED_LONG.sub("\u30fc", text)
    text = _SPACES.sub(" ", text).strip()
    return unicodedata.normalize("NFKC", text)


def _base_key_once(text: str) -> str:
    text = _clean_once(text).casefold()
    text = katakana_to_hiragana(text)
    for pattern, replacement in _OKURIGANA_RULES:
        text = pattern.sub(replacement, text)
    text = _fold_punctuation(text)
    text = _SPACES.sub(" ", text).strip()
    return unicodedata.normalize("NFKC", text)


def _fixed_point(step, text: str, rounds: int = 5) -> str:  # type: ignore[no-untyped-def]
    """Apply ``step`` until the text stops changing (``rounds`` at most)."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    current = step(text)
    for _ in range(rounds - 1):
        following = step(current)
        if following == current:
            break
        current = following
    return current
