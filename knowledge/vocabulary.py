"""The generic municipal vocabulary: words residents use → the words a city's FAQ uses for the same thing.

It ships with madoguchi (``knowledge/vocab/municipal.csv``) and applies to every city, beside the city's own
synonym list. Where a synonym *replaces* a variant by its canonical word, the vocabulary only *adds* terms: a
question about moving house (引っ越した) also searches for 転入・転居・転出, so an entry that uses one of those words
can be found, and no entry loses a word it matched before. Only the lexical channels use the added terms.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from knowledge.normalize import Normalizer

__all__ = ["SHIPPED_VOCABULARY", "Vocabulary", "load_vocabulary"]

SHIPPED_VOCABULARY = Path(__file__).resolve().parent / "vocab" / "municipal.csv"


def load_vocabulary(path: str | Path) -> dict[str, list[str]]:
    """Read a ``trigger,terms`` CSV (terms separated by ``|``; ``#`` lines and a header row are skipped).

    A trigger listed twice gets the union of its terms. Raises ``ValueError`` naming the line of a malformed row.
    """
    rows: dict[str, list[str]] = {}
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
                continue
            if [cell.strip().lower() for cell in row[:2]] == ["trigger", "terms"]:
                continue
            if len(row) != 2 or not row[1].strip():
                raise ValueError(f"{path}:{number}: expected 'trigger,term|term', got {row!r}")
            terms = rows.setdefault(row[0].strip(), [])
            terms.extend(t.strip() for t in row[1].split("|") if t.strip() and t.strip() not in terms)
    return rows


class Vocabulary:
    """Expansion of a question's matching key by the terms of every trigger it contains."""

    def __init__(self, rows: Mapping[str, Sequence[str]] | None = None) -> None:
        self._terms: dict[str, list[str]] = {}
        for trigger, terms in (rows or {}).items():
            key = Normalizer.base_key(trigger)
            if key:
                known = self._terms.setdefault(key, [])
                known.extend(k for k in map(Normalizer.base_key, terms) if k and k not in known)
        # Latin triggers match whole words only ('move' is not inside 'remove'); the others anywhere.
        self._latin = {k: re.compile(rf"\b{re.escape(k)}\b") for k in self._terms if k.isascii()}

    @classmethod
    def shipped(cls) -> Vocabulary:
        """The vocabulary madoguchi ships (read once per process; it is immutable)."""
        return _shipped()

    def __len__(self) -> int:
        return len(self._terms)

    def terms(self, text: str) -> list[str]:
        """The added terms for ``text`` (any form; normalised here), without those it already contains."""
        key = Normalizer.base_key(text)
        found: list[str] = []
        for trigger, terms in self._terms.items():
            latin = self._latin.get(trigger)
            if not (latin.search(key) if latin is not None else trigger in key):
                continue
            found.extend(t for t in terms if t not in found and t not in key)
        return found

    def expand(self, text: str) -> str:
        """``text`` followed by its added terms (the text itself when none apply)."""
        return " ".join([text, *self.terms(text)])

    def expand_all(self, texts: Iterable[str]) -> list[str]:
        return [self.expand(t) for t in texts]


@functools.cache
def _shipped() -> Vocabulary:
    return Vocabulary(load_vocabulary(SHIPPED_VOCABULARY))
