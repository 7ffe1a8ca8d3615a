"""The words residents use for garbage categories, mapped onto whatever labels a city's 5374 data uses.

A resident says 燃えるごみ, 可燃, 燃やせるごみ, 普通ごみ, 缶, ビン or プラ; one city's columns are
``燃やすごみ`` and ``びん・かん・ペットボトル``, another's ``可燃ごみ``, ``かん`` and ``びん``, a third's
``アルミ缶`` and ``食品用ビン・食品用スチール缶``. Each :class:`Kind` knows the words for one sort of
garbage in questions and in labels, so 「缶はいつ？」 finds ``かん`` where cans are collected alone,
``缶・びん`` where they go together, and both columns where cans go two ways — never the びん column
of a city that collects cans apart.

When no label of the city says the kind (目黒区 collects cans as ``資源``), its item dictionary says
it: the column of the item that is plainly that thing (``缶（飲料・食品用）`` for 缶, not
``スプレー缶``), looked up by the kind's everyday item names (:attr:`Kind.canonical`). With neither, no
column is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.fuzzy import fold, similarity

__all__ = ["KINDS", "Kind", "canonical_items", "kinds_in", "kinds_of_label", "schedule_column"]


@dataclass(frozen=True)
class Kind:
    """One sort of garbage: ``asked`` are words in questions, ``labelled`` words in a city's category
    labels, ``canonical`` the everyday names of the plain item of this sort (空き缶, 新聞), best first;
    ``parent`` is the wider kind not counted when this narrower one is named too."""

    key: str
    asked: tuple[str, ...]
    labelled: tuple[str, ...]
    canonical: tuple[str, ...] = ()
    parent: str = ""


KINDS: tuple[Kind, ...] = (
    Kind("burnable", ("燃える", "燃やす", "燃やせる", "燃せる", "可燃", "かねん", "普通ごみ", "家庭ごみ", "もえる",
                      "もやす", "もやせる"),
         ("燃える", "燃やす", "燃やせる", "燃せる", "可燃", "普通ごみ", "もえる", "もやす", "もやせる")),
    Kind("unburnable", ("燃えない", "燃やさない", "燃やせない", "燃せない", "不燃", "ふねん", "もえない", "もやさない",
                        "もやせない", "埋立", "埋め立て"),
         ("燃えない", "燃やさない", "燃やせない", "燃せない", "不燃", "もえない", "もやさない", "もやせない", "埋立",
          "埋め立て", "陶器", "破砕")),
    Kind("can", ("缶", "かん"), ("缶", "かん"), ("空き缶", "あき缶", "空缶", "缶")),
    Kind("bottle", ("びん", "瓶"), ("びん", "瓶"), ("空きびん", "あきびん", "空き瓶", "空きビン", "びん", "瓶")),
    Kind("pet", ("ぺっと",), ("ぺっと",), ("ペットボトル",)),
    Kind("plastic", ("ぷら",), ("ぷら",), ("プラスチック製容器包装", "容器包装プラスチック", "プラスチック")),
    Kind("plastic_container", ("容器包装", "ようきほうそう", "ぷらまーく", "容りぷら"), ("容器", "包装", "ぷらまーく"),
         ("プラスチック製容器包装", "容器包装プラスチック"), "plastic"),
    Kind("paper", ("古紙", "こし", "紙", "新聞", "しんぶん", "雑誌", "ざっし", "段ぼーる", "だんぼーる", "雑がみ"),
         ("紙", "かみ", "新聞", "雑誌", "段ぼーる", "だんぼーる"), ("新聞", "新聞紙", "雑誌", "段ボール")),
    Kind("cloth", ("古布", "古着", "衣類", "布"), ("布", "衣類", "古着"), ("古着", "古布", "衣類")),
    Kind("hazardous", ("有害", "危険", "電池", "でんち", "蛍光灯", "蛍光管", "水銀"), ("有害", "危険", "電池", "蛍光"),
         ("乾電池", "電池", "蛍光灯", "蛍光管")),
    Kind("oversized", ("粗大", "そだい", "大型ごみ", "大きいごみ"), ("粗大", "大型")),
    Kind("metal", ("金属", "きんぞく"), ("金属",), ("金属類", "金属")),
    Kind("appliance", ("小型家電", "家電"), ("家電", "小電"), ("小型家電",)),
    Kind("oil", ("食用油", "天ぷら油", "てんぷら油", "廃油", "油"), ("油",), ("食用油", "天ぷら油", "廃食用油")),
    Kind("garden", ("草", "剪定", "せん定", "枝", "落ち葉"), ("草", "剪定", "せん定", "枝"), ("剪定枝", "枝", "草")),
    Kind("resource", ("資源", "しげん"), ("資源",)),
)  # fmt: skip
_BY_KEY = {k.key: k for k in KINDS}
_PARTS = re.compile(r"[・、,，/／()（）\s]+")


def _words(words: Iterable[str]) -> list[str]:
    return [fold(w) for w in words]


def kinds_of_label(label: str) -> set[str]:
    """The kinds a city's category label names (``資源物（紙・布類、ビン・缶）`` -> paper, cloth, bottle, can,
    resource); "not burnable" words are taken out before looking for "burnable" ones."""
    text = fold(label)
    found = set()
    for kind in sorted(KINDS, key=lambda k: k.key != "unburnable"):  # 燃やさない before 燃やす
        hits = [w for w in _words(kind.labelled) if w in text]
        if hits:
            found.add(kind.key)
            if kind.key == "unburnable":
                for w in hits:
                    text = text.replace(w, "")
    return found


def kinds_in(text: str) -> list[tuple[str, int]]:
    """The kinds a question names, with the length of the word that named each; a word inside a longer
    word found at the same place (ぷら in 天ぷら油) does not count, nor a wider kind when a narrower one of
    its family is named (プラ in 容器包装プラ)."""
    q = fold(text)
    spans = [
        (m.start(), m.start() + len(w), kind.key)
        for kind in KINDS
        for w in _words(kind.asked)
        for m in re.finditer(re.escape(w), q)
    ]
    kept = [
        s
        for s in spans
        if not any(o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0] for o in spans)
    ]
    best: dict[str, int] = {}
    for start, end, key in kept:
        best[key] = max(best.get(key, 0), end - start)
    parents = {_BY_KEY[k].parent for k in best}
    return [(k, n) for k, n in best.items() if k not in parents]


def schedule_column(label: str, columns: list[str]) -> str | None:
    """The ``area_days.csv`` column of a ``target.csv`` category: the same label, the one column whose
    parts hold it (``破砕選別ごみ`` in ``破砕選別ごみ・有害危険ごみ・廃食用油``), or the one clearly most like
    it (``食品用ビン・スチール缶`` / ``食品用ビン・食品用スチール缶``)."""
    if label in columns:
        return label
    key = fold(label)
    if not key:
        return None
    holding = [c for c in columns if key in {fold(p) for p in _PARTS.split(c) if p}]
    if len(holding) == 1:
        return holding[0]
    scored = sorted(((similarity(key, fold(c)), c) for c in columns), reverse=True)
    if scored and scored[0][0] >= 0.75 and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 0.1):
        return scored[0][1]
    return None


def canonical_items(kind: str) -> tuple[str, ...]:
    """The everyday names of the plain item of ``kind``, best first (none for burnable and the like)."""
    return _BY_KEY[kind].canonical
