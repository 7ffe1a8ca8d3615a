"""Furigana segments (channels/web/furigana.py)."""

from __future__ import annotations

import pytest

from channels.web.furigana import segments
from knowledge.reading import Reader

READ = Reader().read


@pytest.mark.parametrize(
    "text",
    [
        "住民票を申し込みたいです。",
        "粗大ごみの出し方（ＰＣ）は？\n燃えるごみは月曜日です。",
        "<script>alert(1)</script>の件",
        "コーヒー3杯、https://www.city.example.jp/ を見てください",
        "",
        "　全角スペース　と\t改行\n\n",
    ],
)
def test_segments_join_back_to_the_text(text: str) -> None:
    assert "".join(str(s["text"]) for s in segments(text, READ)) == text


def test_kanji_runs_get_hiragana_aligned_by_okurigana() -> None:
    got = segments("住民票を申し込む", READ)
    assert got[0] == {"text": "住民票", "reading": "じゅうみんひょう"}
    assert {"text": "申", "reading": "もう"} in got
    assert {"text": "込", "reading": "こ"} in got
    assert all(
        s["reading"] is None for s in got if not any("\u4e00" <= c <= "\u9fff" for c in str(s["text"]))
    )


def test_unalignable_phrase_comes_back_without_readings() -> None:
    got = segments("市役所へ", read=lambda text: "まったくべつのよみ")
    assert got == [{"text": "市役所へ", "reading": None}]


def test_readings_that_are_not_kana_are_dropped() -> None:
    got = segments("鬱", read=lambda text: text)  # an unknown word keeps its surface
    assert got == [{"text": "鬱", "reading": None}]
