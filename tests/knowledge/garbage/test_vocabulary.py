"""Residents' words for garbage categories against the labels cities use (labels taken from real cities' data)."""

from __future__ import annotations

import pytest

from knowledge.garbage.vocabulary import KINDS, canonical_items, kinds_in, kinds_of_label, schedule_column


@pytest.mark.parametrize(
    ("label", "kinds"),
    [
        ("燃やすごみ", {"burnable"}),
        ("燃やさないごみ", {"unburnable"}),  # 燃やさない holds no 燃やす
        ("燃やせないごみ", {"unburnable"}),
        ("燃やすしかないごみ", {"burnable"}),  # 亀岡市
        ("埋立てるしかないごみ", {"unburnable"}),
        ("可燃ごみ", {"burnable"}),
        ("不燃ごみ", {"unburnable"}),
        ("陶器・ガラス・金属ごみ", {"unburnable", "metal"}),  # 品川区's 不燃
        ("破砕ゴミ（有害ごみ）", {"unburnable", "hazardous"}),  # 高松市
        ("びん・かん・ペットボトル", {"bottle", "can", "pet"}),
        ("缶・びん・ペットボトル", {"bottle", "can", "pet"}),
        ("かん", {"can"}),
        ("アルミ缶", {"can"}),
        ("資源物（紙・布類、ビン・缶）", {"paper", "cloth", "bottle", "can", "resource"}),  # 佐賀市
        ("容器包装プラスチック", {"plastic", "plastic_container"}),
        ("紙類・硬質（製品）プラスチック", {"paper", "plastic"}),
        ("かみの日", {"paper"}),  # 伊豆の国市
        ("廃食用油・金属類", {"oil", "metal"}),
        ("粗大ごみ", {"oversized"}),
    ],
)
def test_what_a_city_label_says(label: str, kinds: set[str]) -> None:
    assert kinds_of_label(label) == kinds


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("燃えるごみはいつ？", {"burnable"}),
        ("燃えないごみは", {"unburnable"}),
        ("普通ごみの日", {"burnable"}),
        ("缶はいつ", {"can"}),
        ("カンとビン", {"can", "bottle"}),
        ("天ぷら油は", {"oil"}),  # not プラ
        ("容器包装プラの日", {"plastic_container"}),  # the narrower kind only
        ("プラスチックの日", {"plastic"}),
        ("木曜日のごみ", set()),  # 木 is no garden word
    ],
)
def test_what_a_question_asks(question: str, kinds: set[str]) -> None:
    assert {k for k, _ in kinds_in(question)} == kinds


def test_the_length_of_the_word_that_named_a_kind() -> None:
    assert dict(kinds_in("空き缶と不燃ごみ")) == {"can": 1, "unburnable": 2}


@pytest.mark.parametrize(
    ("label", "columns", "column"),
    [
        ("資源", ["燃やすごみ", "資源"], "資源"),
        (
            "破砕選別ごみ",
            ["可燃ごみ", "破砕選別ごみ・有害危険ごみ・廃食用油"],
            "破砕選別ごみ・有害危険ごみ・廃食用油",
        ),
        (
            "食品用ビン・スチール缶",
            ["アルミ缶", "食品用ビン・食品用スチール缶"],
            "食品用ビン・食品用スチール缶",
        ),
        ("大型ごみ", ["燃やせるごみ", "燃やせないごみ"], None),  # collected on application, no column
    ],
)
def test_the_column_of_an_item_category(label: str, columns: list[str], column: str | None) -> None:
    assert schedule_column(label, columns) == column


def test_the_column_of_a_category_named_inside_a_joined_label() -> None:
    assert schedule_column("かん", ["びん・かん・ペットボトル", "燃やせるごみ"]) == "びん・かん・ペットボトル"


def test_every_kind_has_words_for_questions_and_labels() -> None:
    assert all(k.asked and k.labelled for k in KINDS)
    assert canonical_items("can")[0] == "空き缶" and canonical_items("burnable") == ()
