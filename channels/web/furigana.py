"""Furigana for the widget: split text into segments and give each kanji run its hiragana reading.

`knowledge.reading` reads a whole phrase (so words are read in context). The phrase's kana are then used
as anchors to cut that reading into the parts that belong to each kanji run: 「住民票を申し込む」 read as
「じゅうみんひょうをもうしこむ」 gives 住民票→じゅうみんひょう, 申→もう, 込→こ. When the reading cannot
be aligned (an unknown word kept as written, an odd symbol) the phrase is returned without readings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from knowledge.normalize import katakana_to_hiragana

__all__ = ["MAX_TEXT", "Segment", "segments"]

MAX_TEXT = 2000
_MAX_PHRASE = 60
_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヵヶ"
_KANJI_RUN = re.compile(f"[{_KANJI}]+")
_HAS_KANJI = re.compile(f"[{_KANJI}]")
# Phrases end after punctuation, spaces and line breaks; they are read (and aligned) one by one.
_PHRASE = re.compile(r"[^。、！？!?,.，．\s「」『』（）()]*[。、！？!?,.，．\s「」『』（）()]*")
_HIRAGANA = re.compile(r"^[\u3041-\u309fー]+$")

Segment = dict[str, str | None]


def segments(text: str, read: Callable[[str], str]) -> list[Segment]:
    """``[{"text": ..., "reading": ...|None}]``; joining the texts gives back ``text`` exactly. ``read`` gives a
    phrase's hiragana reading (`knowledge.reading.Reader.read`)."""
    out: list[Segment] = []
    for match in _PHRASE.finditer(text[:MAX_TEXT]):
        phrase = match.group(0)
        if not phrase:
            continue
        for start in range(0, len(phrase), _MAX_PHRASE):
            _append(out, _phrase_segments(phrase[start : start + _MAX_PHRASE], read))
    return out


def _append(out: list[Segment], parts: list[Segment]) -> None:
    for part in parts:
        if out and part["reading"] is None and out[-1]["reading"] is None:
            out[-1] = {"text": f"{out[-1]['text']}{part['text']}", "reading": None}
        else:
            out.append(part)


def _phrase_segments(phrase: str, read: Callable[[str], str]) -> list[Segment]:
    if not _HAS_KANJI.search(phrase):
        return [{"text": phrase, "reading": None}]
    kana = read(phrase.strip()).replace(" ", "")
    pieces: list[tuple[str, bool]] = []  # (surface, is_kanji)
    pos = 0
    for run in _KANJI_RUN.finditer(phrase):
        if run.start() > pos:
            pieces.append((phrase[pos : run.start()], False))
        pieces.append((run.group(0), True))
        pos = run.end()
    if pos < len(phrase):
        pieces.append((phrase[pos:], False))
    pattern = "".join(
        "(.+?)" if is_kanji else re.escape(_comparable(surface)) for surface, is_kanji in pieces
    )
    found = re.fullmatch(pattern, kana, flags=re.DOTALL)
    if found is None:
        return [{"text": phrase, "reading": None}]
    result: list[Segment] = []
    groups = iter(found.groups())
    for surface, is_kanji in pieces:
        if not is_kanji:
            result.append({"text": surface, "reading": None})
            continue
        value = next(groups)
        result.append({"text": surface, "reading": value if _HIRAGANA.match(value) else None})
    return result


def _comparable(surface: str) -> str:
    """How a non-kanji stretch appears inside the reading (NFKC, hiragana, no spaces)."""
    return katakana_to_hiragana(unicodedata.normalize("NFKC", surface)).replace(" ", "").strip()
