"""Finding the areas a resident names, inside a sentence, as cities write them in ``area_days.csv``.

Area names carry qualifiers: 丁目 ranges (``暁町１〜３丁目``, ``青葉台一丁目から四丁目``, ``荏原5・6丁目``),
numbered districts (``峰山町１区``), several towns in one area (``香川・松風台・甘沼…地区``,
``高松第一（松島・築地・新塩屋町）``), exclusions (``赤松町（9番37号・12番の南側を除く）``) and a group
prefix (``南部 南條``). Each name is cut into places — a town and the numbers it covers — so
「暁町2丁目のごみ」 finds ``暁町１〜３丁目`` and 「大財6丁目」 finds both areas that hold part of it.

Hiragana questions (「あかつきちょう」) match the places' readings (:class:`knowledge.reading.Reader`, with
町 read both まち and ちょう), so no alias file is needed; ``area_aliases.csv`` still adds names.
Several areas equally named are all returned: the caller offers them as choices.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

from knowledge.fuzzy import fold, similarity
from knowledge.garbage.data import Area
from knowledge.normalize import katakana_to_hiragana
from knowledge.reading import Reader

__all__ = ["AreaIndex", "Place", "places_of"]

EXACT, NUMBER_OK, PLACE, READING, TOWN_ONLY = 1.0, 0.97, 0.95, 0.9, 0.8
TIE, BONUS = 0.015, 0.03  # scores closer than TIE are a tie

_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# kanji numbers used as 丁目/区 numbers: followed by 丁目, 区, a list or a range (not 一宮, 四日町, 二箇)
_KANJI_NUMBER = re.compile(r"[〇一二三四五六七八九十]+(?=丁目|区|[・、〜～~\-－ー]|から)")
_RANGE = "〜～~\\-－ー−"
_NUMBERS = re.compile(rf"(\d+(?:\s*(?:[・、,]|[{_RANGE}]|から)\s*\d+)*)\s*(?:丁目|区)")
_SPLIT = re.compile(r"(?<!\d)[・、,\s/]+|[・、,\s/]+(?!\d)")
_PAREN = re.compile(r"[（(【\[]([^）)】\]]*)[）)】\]]")
_AFTER = re.compile(r"\s*(\d+)")
_KANA = re.compile(r"[ぁ-ゖー]{3,}")
_BETWEEN_KANJI = re.compile(r"(?<=[\u3041-\u30ff\u4e00-\u9fff])[ヶケゖけがガ](?=[\u4e00-\u9fff])")
# a place's reading also with the voiced sound it often takes at the end (浅野川 あさのがわ, 芹沢 せりざわ)
_VOICED = {
    "まち": ("ちょう",),
    "ちょう": ("まち",),
    "かわ": ("がわ",),
    "た": ("だ",),
    "しま": ("じま",),
    "さわ": ("ざわ",),
    "さき": ("ざき",),
    "さか": ("ざか",),
    "たに": ("だに",),
}


def _kanji_number(text: str) -> str:
    value, digit = 0, 0
    for ch in text:
        if ch == "十":
            value += (digit or 1) * 10
            digit = 0
        else:
            digit = _KANJI_DIGITS[ch]
    return str(value + digit)


def norm(text: str) -> str:
    """NFKC, lower case, hiragana, kanji 丁目 numbers as digits, ヶ/ケ/が between kanji as が; separators kept."""
    t = unicodedata.normalize("NFKC", text).lower()
    t = _KANJI_NUMBER.sub(lambda m: _kanji_number(m.group(0)), t)
    t = re.sub(r"丁目\s*(?=(?:から|[・、〜～~\-－ー])\s*\d)", "", t)  # 1丁目から4丁目 -> 1から4丁目
    t = _BETWEEN_KANJI.sub("が", t)
    return katakana_to_hiragana(t)


@dataclass(frozen=True)
class Place:
    """A town an area covers: ``base`` (normalised, no numbers) and the 丁目/区 numbers (None: all of it)."""

    base: str
    numbers: frozenset[int] | None = None
    reading: bool = False


def _numbers(text: str) -> frozenset[int]:
    out: set[int] = set()
    for piece in re.split(r"[・、,]", text):
        ends = [int(n) for n in re.findall(r"\d+", piece)]
        if len(ends) == 2 and re.search(rf"[{_RANGE}]|から", piece) and ends[0] <= ends[1] <= ends[0] + 30:
            out.update(range(ends[0], ends[1] + 1))
        else:
            out.update(ends)
    return frozenset(out)


def _place(piece: str) -> Place | None:
    piece = piece.strip()
    m = _NUMBERS.search(piece)
    if m:
        base, numbers = piece[: m.start()].strip(), _numbers(m.group(1))
    else:
        base, numbers = re.sub(r"\d+(番|号|組).*$", "", piece).strip(), None
    base = re.sub(r"(地区|地域|区)$", "", base) if len(base) > 3 else base
    if len(base) < 2 or base[0].isdigit():
        return None
    return Place(base, numbers)


def places_of(town: str) -> list[Place]:
    """The places an ``area_days.csv`` name covers (exclusions in brackets are not places)."""
    text = norm(town)
    inner = [m.group(1) for m in _PAREN.finditer(text) if not m.group(1).endswith("を除く")]
    outer = _PAREN.sub(" ", text)
    pieces = [p for chunk in [outer, *inner] for p in _SPLIT.split(chunk) if p]
    places = [p for p in (_place(piece) for piece in pieces) if p]
    return list(dict.fromkeys(places))


class AreaIndex:
    """Scores every area for a question; readings are made on the first hiragana question."""

    def __init__(self, areas: list[Area], reader: Reader | None = None) -> None:
        self._areas = list(areas)
        self._reader = reader
        self._places = {
            a.name: places_of(a.town or a.name) + [Place(norm(x)) for x in a.aliases] for a in areas
        }
        self._wards = {a.name: [p.base for p in places_of(a.ward)] if a.ward else [] for a in areas}
        self._full = {a.name: {norm(a.name), norm(a.town or a.name)} for a in areas}
        self._readings: dict[str, list[Place]] | None = None
        self._lock = threading.Lock()

    def _reading_places(self) -> dict[str, list[Place]]:
        with self._lock:
            if self._readings is None:
                reader = self._reader or Reader()
                out: dict[str, list[Place]] = {}
                for name, places in self._places.items():
                    found = []
                    for p in places:
                        kana = norm(reader.read(p.base)).replace(" ", "")
                        for variant in _variants(kana):
                            if (
                                variant != p.base
                                and len(variant) >= 3
                                and re.fullmatch("[ぁ-ゖー]+", variant)
                            ):
                                found.append(Place(variant, p.numbers, reading=True))
                    out[name] = found
                self._readings = out
            return self._readings

    def scores(self, text: str, min_score: float = 0.6) -> list[tuple[str, float]]:
        """Areas the text names with a score, best first."""
        q = norm(text)
        readings = self._reading_places() if _KANA.search(q) else {}
        hits: list[tuple[str, int, int, float]] = []  # area, start, end, score
        for area in self._areas:
            full = max((f for f in self._full[area.name] if len(f) >= 2 and f in q), key=len, default="")
            if full:
                start = q.index(full)
                hits.append((area.name, start, start + len(full), EXACT))
                continue
            for place in self._places[area.name] + readings.get(area.name, []):
                for m in re.finditer(re.escape(place.base), q):
                    score = _place_score(place, q[m.end() :])
                    if score:
                        hits.append((area.name, m.start(), m.end(), score))
        # a place inside a longer place named at the same spot (本町 in 牛津本町) is not what was meant
        hits = [
            h
            for h in hits
            if not any(o[1] <= h[1] and h[2] <= o[2] and o[2] - o[1] > h[2] - h[1] for o in hits)
        ]
        best: dict[str, float] = {}
        spans: dict[str, set[tuple[int, int]]] = {}
        for name, start, end, score in hits:
            best[name] = max(best.get(name, 0.0), score)
            spans.setdefault(name, set()).add((start, end))
        for name in best:  # each further place named, and the group's name, make an area stand out
            best[name] += BONUS * min(len(spans[name]) - 1, 2)
            if any(w in q for w in self._wards[name]):
                best[name] += BONUS
        if not best:
            best = self._fuzzy(fold(text), min_score)
        ranked = sorted(((n, round(s, 4)) for n, s in best.items() if s >= min_score), key=lambda x: -x[1])
        return ranked

    def _fuzzy(self, q: str, min_score: float) -> dict[str, float]:
        """A typo (「牛津本丁」), or a 丁目 the town does not have (all its areas), when no place is named word for word."""
        out = {}
        for area in self._areas:
            keys = {fold(area.name), fold(area.town)} | {fold(p.base) for p in self._places[area.name]}
            score = max((similarity(q, k) for k in keys if k), default=0.0)
            if score >= min_score:
                out[area.name] = score
        return out

    def candidates(self, text: str, limit: int = 12) -> list[str]:
        """The areas equally well named by ``text`` (one when it is clear), at most ``limit``."""
        ranked = self.scores(text)
        if not ranked:
            return []
        top = ranked[0][1]
        return [n for n, s in ranked if top - s < TIE][:limit]


def _variants(kana: str) -> set[str]:
    out = {kana}
    for end, others in _VOICED.items():
        if kana.endswith(end):
            out |= {kana[: -len(end)] + o for o in others}
    return out


def _place_score(place: Place, after: str) -> float:
    """How well a place named in the question fits, given the text right after it (a 丁目 number?)."""
    m = _AFTER.match(after)
    number = int(m.group(1)) if m else None
    base = READING if place.reading else PLACE
    if place.numbers is None:
        return base
    if number is None:
        return TOWN_ONLY
    return NUMBER_OK if number in place.numbers else 0.0
