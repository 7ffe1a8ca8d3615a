"""Forgiving comparison of short Japanese names (areas, garbage items, departments).

Residents type the same word many ways: ペットボトル / ぺっとぼとる / ﾍﾟｯﾄﾎﾞﾄﾙ, with a
stray space or a one-character typo. :func:`fold` maps all of these to one key (NFKC,
lower case, katakana -> hiragana, no spaces or punctuation) and :func:`similarity` scores
two folded keys with exact match, containment and character-bigram Dice.

Width, long-vowel and wave-dash folding come from the shared
:meth:`knowledge.normalize.Normalizer.clean`, so FAQ search and structured-data lookups agree.
"""

from __future__ import annotations

import re
import unicodedata

from knowledge.normalize import Normalizer, katakana_to_hiragana

__all__ = ["bigrams", "dice", "fold", "similarity", "to_hiragana"]

_DROP = re.compile(r"[\s・、。，．,.!?！？「」『』（）()［］\[\]【】〜~ー-]+")


def to_hiragana(text: str) -> str:
    """Katakana (full width) to hiragana; everything else unchanged."""
    return katakana_to_hiragana(text)


def fold(text: str, *, keep_long_vowel: bool = True) -> str:
    """The comparison key of ``text``: NFKC, lower case, hiragana, no spaces/punctuation.

    The long-vowel mark ー is kept by default (ボール vs ボル differ); pass
    ``keep_long_vowel=False`` to drop it as well.
    """
    text = Normalizer.clean(unicodedata.normalize("NFKC", text)).lower()
    text = to_hiragana(text)
    if keep_long_vowel:
        return _DROP.sub(lambda m: "".join(c for c in m.group(0) if c == "ー"), text)
    return _DROP.sub("", text)


def bigrams(text: str) -> list[str]:
    """Character bigrams; a one-character text is its own single gram."""
    if len(text) < 2:
        return [text] if text else []
    return [text[i : i + 2] for i in range(len(text) - 1)]


def dice(a: str, b: str) -> float:
    """Sørensen–Dice coefficient over character-bigram multisets (0..1)."""
    ga, gb = bigrams(a), bigrams(b)
    if not ga or not gb:
        return 0.0
    pool: dict[str, int] = {}
    for g in gb:
        pool[g] = pool.get(g, 0) + 1
    common = 0
    for g in ga:
        if pool.get(g, 0) > 0:
            pool[g] -= 1
            common += 1
    return 2.0 * common / (len(ga) + len(gb))


def similarity(query: str, key: str) -> float:
    """How well folded ``query`` names folded ``key`` (0..1).

    1.0 exact; the key inside a longer query (``醤油のぺっとぼとる`` ⊃ ``ぺっとぼとる``) scores
    0.75..1 by how much of the query it covers; a query that is part of the key scores
    0.6..0.95 by how much of the key it covers; otherwise bigram Dice (typos).
    """
    if not query or not key:
        return 0.0
    if query == key:
        return 1.0
    best = dice(query, key)
    if len(key) >= 2 and key in query:
        best = max(best, 0.75 + 0.25 * len(key) / len(query))
    if len(query) >= 2 and query in key:
        best = max(best, 0.6 + 0.35 * len(query) / len(key))
    return min(best, 0.99)
