"""Which category an item belongs to (``target.csv``): reading the file and the forgiving item lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.csvdata import CityDataError
from knowledge.garbage.items import ItemIndex, TargetItem, extract_item_phrase, load_targets
from tests.support.garbage_files import TARGET, write_dir


@pytest.fixture
def index(tmp_path: Path) -> ItemIndex:
    return ItemIndex(load_targets(write_dir(tmp_path) / "target.csv"))


# ------------------------------------------------------------------ lookup


def test_categorize_kana_variants(index: ItemIndex) -> None:
    for text in ("ペットボトル", "ぺっとぼとる", "ﾍﾟｯﾄﾎﾞﾄﾙ", "ペットボトルはどうやって捨てる？"):
        best = index.categorize(text)[0]
        assert (best.item, best.category, best.note) == ("ペットボトル", "資源", "キャップを外す")
        assert best.score >= 0.9


def test_categorize_typo_and_reading(index: ItemIndex) -> None:
    assert index.categorize("ぺっとぼとう")[0].item == "ペットボトル"
    assert index.categorize("しんぶんし")[0].item == "新聞紙"
    assert index.categorize("自転車は何ごみ？")[0].item == "自転車（子供用）"
    assert index.categorize("ふにゃほげ") == []


def test_an_item_named_inside_a_longer_sentence(index: ItemIndex) -> None:
    best = index.categorize("えっと、使い終わったスプレー缶ってどうすればいい")[0]
    assert (best.item, best.category, best.reading) == ("スプレー缶", "燃やさないごみ", "すぷれーかん")


def test_best_first_within_limit_and_bar() -> None:
    index = ItemIndex(
        [
            TargetItem("ビールびん", "びん"),
            TargetItem("ビール缶", "資源"),
            TargetItem("ビールびん", "びん", note="二重の行"),
        ]
    )
    found = index.categorize("ビールびん", limit=5)
    assert [m.item for m in found][:1] == ["ビールびん"]
    assert found == sorted(found, key=lambda m: -m.score)
    assert len(index.categorize("ビールびん", limit=1)) == 1
    assert index.categorize("ビール", min_score=0.999) == []


def test_nothing_to_look_up(index: ItemIndex) -> None:
    assert index.categorize("") == []
    assert index.categorize("？") == []


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("ペットボトルはどうやって捨てる？", "ペットボトル"),
        ("スプレー缶は何ごみ？", "スプレー缶"),
        ("すみません、電池の捨て方", "電池"),
        ("新聞紙って資源ですか", "新聞紙"),
        ("フライパン", "フライパン"),
        ("は何ごみ？", "は何ごみ"),  # nothing before the tail: the text itself
    ],
)
def test_extract_item_phrase(text: str, phrase: str) -> None:
    assert extract_item_phrase(text) == phrase


# ------------------------------------------------------------------ target.csv


def test_load_targets_with_5374_columns(tmp_path: Path) -> None:
    items = load_targets(write_dir(tmp_path) / "target.csv")
    assert len(items) == TARGET.count("\n") - 1
    assert items[0] == TargetItem("生ごみ", "燃やすごみ", "水を切る", "なまごみ")
    assert items[4] == TargetItem("ビールびん", "びん", "", "びーるびん")


def test_load_targets_with_japanese_columns_and_no_note_or_reading(tmp_path: Path) -> None:
    path = tmp_path / "target.csv"
    path.write_text("分別,品目\n資源,段ボール\n", encoding="utf-8")
    assert load_targets(path) == [TargetItem("段ボール", "資源")]


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "target.csv"
    path.write_text("type,notice\n資源,\n", encoding="utf-8")
    with pytest.raises(CityDataError) as info:
        load_targets(path)
    assert (info.value.file, info.value.row) == ("target.csv", 1)
    assert "name / 品目" in str(info.value)


def test_every_bad_row_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "target.csv"
    path.write_text(TARGET + "資源,,,\n,カセットボンベ,,\n", encoding="utf-8")
    with pytest.raises(CityDataError) as info:
        load_targets(path)
    assert [(p.file, p.row) for p in info.value.problems] == [("target.csv", 8), ("target.csv", 9)]
    assert "カセットボンベ" in info.value.problems[1].message
