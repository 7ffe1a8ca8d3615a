"""Which category an item belongs to (``target.csv``): reading the file and the forgiving item lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.csvdata import CityDataError, DataProblem
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


def test_rows_that_say_nothing_are_skipped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "target.csv"
    path.write_text(TARGET + "資源,,,\n,カセットボンベ,,\n", encoding="utf-8")
    warnings: list[DataProblem] = []
    assert len(load_targets(path, warnings)) == TARGET.count("\n") - 1
    assert [(w.file, w.row) for w in warnings] == [("target.csv", 8), ("target.csv", 9)]
    assert "品目名を書いてください" in warnings[0].message
    assert "カセットボンベ" in warnings[1].message and "分別を書いてください" in warnings[1].message


def test_a_file_with_no_readable_item_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "target.csv"
    path.write_text("type,name,notice,furigana\n,,,\n資源,,,\n", encoding="utf-8")
    with pytest.raises(CityDataError) as info:
        load_targets(path)
    assert (info.value.file, info.value.row) == ("target.csv", 2)


def test_label_is_read_as_type_and_said_so(tmp_path: Path) -> None:
    """The 5374 template has named the category column ``label`` since 2014."""
    path = tmp_path / "target.csv"
    path.write_text("label,name,notice,furigana\n資源,新聞紙,しばる,し\n", encoding="utf-8")
    warnings: list[DataProblem] = []
    assert load_targets(path, warnings) == [TargetItem("新聞紙", "資源", "しばる", "し")]
    assert [w.message for w in warnings] == [
        "列名 label は type として読みます / column 'label' read as 'type'"
    ]


def test_unknown_column_names_are_read_by_position_as_5374_does(tmp_path: Path) -> None:
    path = tmp_path / "target.csv"
    path.write_text("ごみの種類,もの,注意,頭文字\n資源,新聞紙,しばる,し\n", encoding="utf-8")
    warnings: list[DataProblem] = []
    assert load_targets(path, warnings) == [TargetItem("新聞紙", "資源", "しばる", "し")]
    assert [w.row for w in warnings] == [1] and "列の順に" in warnings[0].message


def test_rows_as_cities_publish_them(tmp_path: Path) -> None:
    """A repeated header (高松市), a condition for the item above without its name (茅ヶ崎市), the category typed
    at the end of the name (八王子市), HTML in a note."""
    path = tmp_path / "target.csv"
    path.write_text(
        "type,name,notice,furigana\n"
        "type,name,notice,furigana\n"  # 2
        "処理困難物,車の部品,市が収集できないもの,く\n"
        '大型ごみ,,"カーキャリアなど\n50cm以下は燃やせないごみ",く\n'  # 4: one row over two lines
        ",櫛(木製) 可燃ごみ,,く\n"  # 5
        "可燃ごみ,紙くず,袋に入れる<br>水を切る,か\n",
        encoding="utf-8",
    )
    warnings: list[DataProblem] = []
    items = load_targets(path, warnings, ["可燃ごみ", "不燃ごみ"])
    assert items == [
        TargetItem("車の部品", "処理困難物", "市が収集できないもの", "く"),
        TargetItem("車の部品", "大型ごみ", "カーキャリアなど\n50cm以下は燃やせないごみ", "く"),
        TargetItem("櫛(木製)", "可燃ごみ", "", "く"),
        TargetItem("紙くず", "可燃ごみ", "袋に入れる\n水を切る", "か"),
    ]
    assert [w.row for w in warnings] == [2, 4, 5]
    assert "前の行の「車の部品」の続き" in warnings[1].message
    assert "末尾の「可燃ごみ」を分別として読みます" in warnings[2].message


def test_the_item_named_word_for_word(index: ItemIndex) -> None:
    assert index.named_in("使い終わったスプレー缶はいつ出せる？").name == "スプレー缶"  # type: ignore[union-attr]
    assert index.named_in("缶はいつ？") is None
