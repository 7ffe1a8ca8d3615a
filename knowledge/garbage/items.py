"""Which category an item belongs to (``target.csv`` of the 5374.jp format).

``target.csv`` columns (5374 names or Japanese ones): ``type``/``label``/``分別`` (category label;
the 5374 template has called it ``label`` since 2014), ``name``/``品目`` (item),
``notice``/``注意事項`` (note), ``furigana``/``ふりがな`` (reading; 5374 often gives only the first
kana, which is fine — a full reading lets hiragana-only questions match kanji names). With none of
these names the columns are read by position, as 5374 itself does.

Rows as cities publish them: the header repeated as a row (skipped); a row without an item name that
adds a condition to the item above it (茅ヶ崎市: 「車の部品」処理困難物, then 大型ごみ「カーキャリアなど」)
is that item again; a row without a category whose name ends in a category (八王子市: 「櫛(木製) 可燃ごみ」)
is read so. Each is a warning saying how to write it plainly; a row that cannot be read at all is skipped
with a warning, since one item less misleads no one.

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
from knowledge.garbage.markup import html_to_text

__all__ = ["ItemIndex", "ItemMatch", "TargetItem", "extract_item_phrase", "load_targets"]

_COLUMNS = {
    "category": ("type", "label", "分別", "区分", "category"),
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


def _columns(header: list[str], file: str, warnings: list[DataProblem] | None) -> list[int]:
    """Positions of category, name, note and reading (-1: no such column)."""
    found = {
        role: next((header.index(n) for n in names if n in header), -1) for role, names in _COLUMNS.items()
    }
    if found["category"] < 0 and found["name"] < 0:
        if warnings is not None:
            warnings.append(
                DataProblem(file, 1, "列名が type,name,notice,furigana ではないため、列の順に 分別,品目,注意事項,"
                                     "ふりがな として読みます / columns read by position as 5374 does")
            )  # fmt: skip
        return [i if i < len(header) else -1 for i in range(4)]
    missing = [r for r in ("category", "name") if found[r] < 0]
    if missing:
        accepted = " / ".join(_COLUMNS[missing[0]])
        raise CityDataError([DataProblem(file, 1, f"列がありません / missing column: {accepted}")])
    category = header[found["category"]]
    if category == "label" and warnings is not None:
        warnings.append(
            DataProblem(file, 1, "列名 label は type として読みます / column 'label' read as 'type'")
        )
    return [found[r] for r in ("category", "name", "note", "reading")]


def load_targets(
    path: str | Path, warnings: list[DataProblem] | None = None, categories: list[str] | None = None
) -> list[TargetItem]:
    """Rows of ``target.csv``; raises :class:`CityDataError` listing every bad row.

    ``categories`` (the calendar's and descriptions' labels) lets a row whose category was typed at the end
    of the item name be read.
    """
    file = Path(path).name
    header, rows = read_csv(path, [])
    cols = _columns(header, file, warnings)
    note = warnings.append if warnings is not None else (lambda _: None)
    known = set(categories or [])
    items: list[TargetItem] = []
    previous: TargetItem | None = None
    for row in rows:
        category, name, notice, reading = ((row.cells[i] if 0 <= i < len(row.cells) else "") for i in cols)
        if [c for c in row.cells if c] == [h for h in header if h]:
            note(
                DataProblem(
                    file, row.number, "1行目と同じ見出しの行のため読み飛ばします / repeated header skipped"
                )
            )
            continue
        if not name and notice and previous is not None and category:
            note(
                DataProblem(file, row.number, f"品目名が空のため、前の行の「{previous.name}」の続き（{category}）として"
                                              f"読みます。品目名を書いてください / empty name read as {previous.name!r}")
            )  # fmt: skip
            name = previous.name
        if not category:
            known |= {i.category for i in items}
            found = next(
                (c for c in sorted(known, key=len, reverse=True) if name.endswith((f" {c}", f"　{c}"))), ""
            )
            if found:
                note(
                    DataProblem(file, row.number, f"{name}: 分別が空のため、品目名の末尾の「{found}」を分別として"
                                                  f"読みます。分別の列に移してください / category taken from the name")
                )  # fmt: skip
                name, category = name[: -len(found)].strip(), found
        if not name or not category:
            what = "品目名" if not name else "分別"
            note(
                DataProblem(file, row.number, f"{name or '（品目名なし）'}: {what}が空のため読み飛ばします。{what}を"
                                              f"書いてください / row skipped: empty {'name' if not name else 'category'}")
            )  # fmt: skip
            continue
        previous = TargetItem(name=name, category=category, note=html_to_text(notice), reading=reading)
        items.append(previous)
    if rows and not items:
        raise CityDataError(
            [DataProblem(file, 2, "品目が1つも読めません。列は 分別,品目,注意事項,ふりがな の順です"
                                  " / no item could be read")]
        )  # fmt: skip
    return items


def extract_item_phrase(text: str) -> str:
    """The item part of a question: 「ペットボトルはどうやって捨てる？」 -> 「ペットボトル」."""
    t = _LEAD.sub("", text.strip())
    head = _TAIL.sub("", t)
    return head.strip(" 　、。？?！!") or t.strip(" 　、。？?！!")


class ItemIndex:
    """Fuzzy lookup of ``target.csv`` items."""

    def __init__(self, items: list[TargetItem]):
        self.items = list(dict.fromkeys(items))  # a file listing its items twice (茅ヶ崎市) lists each once
        self._keys: list[tuple[TargetItem, tuple[str, ...]]] = []
        for item in self.items:
            keys = {fold(item.name), fold(_PAREN.sub("", item.name))}
            reading = fold(item.reading)
            if len(reading) >= 2:
                keys.add(reading)
            self._keys.append((item, tuple(k for k in keys if k)))

    def named_in(self, text: str) -> TargetItem | None:
        """The item whose name (two characters or more) the text holds word for word, the longest one."""
        q = fold(text)
        found = [(len(k), item) for item, keys in self._keys for k in keys if len(k) >= 2 and k in q]
        return max(found, key=lambda f: f[0])[1] if found else None

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
