"""Which category an item belongs to (``target.csv`` of the 5374.jp format).

``target.csv`` columns (5374 names or Japanese ones): ``type``/``分別`` (category label),
``name``/``品目`` (item), ``notice``/``注意事項`` (note), ``furigana``/``ふりがな`` (reading;
5374 often gives only the first kana, which is fine — a full reading lets hiragana-only
questions match kanji names).

Matching folds both sides (:func:`knowledge.fuzzy.fold`), strips question tails such as
「は何ごみ？」「の捨て方」, and scores item names, names without their parenthetical
qualifier and readings by exact match, containment and character-bigram Dice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from knowledge.csvdata import CityDataError, DataProblem, read_csv
from knowledge.fuzzy import fold, similarity

__all__ = ["ItemIndex", "ItemMatch", "TargetItem", "extract_item_phrase", "load_targets"]

_COLUMNS = {
    "category": ("type", "分別", "区分", "category"),
    "name": ("name", "品目", "品名", "item"),
    "note": ("notice", "注意事項", "備考", "note"),
    "reading": ("furigana", "ふりがな", "よみ", "reading"),
}
_PAREN = re.compile(r"[（(][^）)]*[）)]")
# Question tails cut from the item phrase: 「スプレー缶は何ごみ？」 -> 「スプレー缶」.
_TAIL = re.compile(
    r"(は|って|を|の|も|、|\s)\s*("
    r"何|なに|なん|どう|どこ|どの|いつ|捨て|すて|出し|だし|出せ|だせ|分別|ぶんべつ|処分|しょぶん|"
    r"燃える|燃やす|燃えない|燃やさない|もえる|もやす|資源|粗大|回収|収集|ごみ|ゴミ|何曜"
    r").*$"
)
_LEAD = re.compile(r"^(えっと|あの|すみません|すいません|ちょっと|[、。\s])+")


@dataclass(frozen=True)
class TargetItem:
    name: str
    category: str
    note: str = ""
    reading: str = ""


@dataclass(frozen=True)
class ItemMatch:
    """An item the text most likely names, its category and note; ``score`` 0..1."""

    item: str
    category: str
    note: str
    score: float
    reading: str = ""


def _column(header: list[str], role: str, file: str) -> str:
    for name in _COLUMNS[role]:
        if name in header:
            return name
    if role in ("note", "reading"):
        return ""
    accepted = " / ".join(_COLUMNS[role])
    raise CityDataError([DataProblem(file, 1, f"列がありません / missing column: {accepted}")])


def load_targets(path: str | Path) -> list[TargetItem]:
    """Rows of ``target.csv``; raises :class:`CityDataError` listing every bad row."""
    file = Path(path).name
    header, rows = read_csv(path, [])
    cols = {role: _column(header, role, file) for role in _COLUMNS}
    items: list[TargetItem] = []
    problems: list[DataProblem] = []
    for row in rows:
        name = row.get(cols["name"])
        category = row.get(cols["category"])
        if not name:
            problems.append(DataProblem(file, row.number, "品目名が空です / empty item name"))
            continue
        if not category:
            problems.append(DataProblem(file, row.number, f"{name}: 分別が空です / empty category"))
            continue
        note = row.get(cols["note"]) if cols["note"] else ""
        reading = row.get(cols["reading"]) if cols["reading"] else ""
        items.append(TargetItem(name=name, category=category, note=note, reading=reading))
    if problems:
        raise CityDataError(problems)
    return items


def extract_item_phrase(text: str) -> str:
    """The item part of a question: 「ペットボトルはどうやって捨てる？」 -> 「ペットボトル」."""
    t = _LEAD.sub("", text.strip())
    head = _TAIL.sub("", t)
    return head.strip(" 　、。？?！!") or t.strip(" 　、。？?！!")


class ItemIndex:
    """Fuzzy lookup of ``target.csv`` items."""

    def __init__(self, items: list[TargetItem]):
        self.items = list(items)
        self._keys: list[tuple[TargetItem, tuple[str, ...]]] = []
        for item in self.items:
            keys = {fold(item.name), fold(_PAREN.sub("", item.name))}
            reading = fold(item.reading)
            if len(reading) >= 2:
                keys.add(reading)
            self._keys.append((item, tuple(k for k in keys if k)))

    def categorize(self, text: str, limit: int = 3, min_score: float = 0.45) -> list[ItemMatch]:
        """Best matching items for ``text``, best first; at most one match per item name."""
        phrase = fold(extract_item_phrase(text))
        whole = fold(text)
        if not phrase and not whole:
            return []
        scored: list[ItemMatch] = []
        for item, keys in self._keys:
            score = 0.0
            for key in keys:
                score = max(score, similarity(phrase, key))
                # the key mentioned somewhere in the unstripped sentence
                if whole != phrase and len(key) >= 2 and key in whole:
                    score = max(score, 0.7 + 0.25 * len(key) / len(whole))
            if score >= min_score:
                scored.append(ItemMatch(item.name, item.category, item.note, round(score, 4), item.reading))
        scored.sort(key=lambda m: (-m.score, len(m.item)))
        return scored[:limit]
