"""The FAQ sheet's header row: English and Japanese names, skipped bookkeeping columns, what to tell staff."""

from __future__ import annotations

import pytest

from knowledge.kb_columns import ALIASES, ALL_COLUMNS, REQUIRED_COLUMNS, read_header


def test_the_export_header_reads_as_itself_without_notes() -> None:
    reading = read_header(list(ALL_COLUMNS) + ["answer_zh"])
    assert reading.columns == list(ALL_COLUMNS) + ["answer_zh"]
    assert (reading.errors, reading.warnings) == ([], [])


@pytest.mark.parametrize(
    ("labels", "columns"),
    [
        (
            ["番号", "質問", "回答", "分類", "担当課", "URL"],
            ["id", "question", "answer", "category", "department", "url"],
        ),
        (
            ["ID", "質問", "回答", "カテゴリ", "担当", "リンク"],
            ["id", "question", "answer", "category", "department", "url"],
        ),
        (["No", "Q", "A"], ["id", "question", "answer"]),
        (["No.", "質問 ", " 回答"], ["id", "question", "answer"]),
        # full width, as Excel users type
        (["Ｎｏ．", "質　問", "回答", "回答（英語）"], ["id", "question", "answer", "answer_en"]),
    ],
)
def test_the_names_cities_use(labels: list[str], columns: list[str]) -> None:
    reading = read_header(labels)
    assert reading.columns == columns and reading.errors == []


def test_renamed_columns_are_told_in_one_note_in_both_languages() -> None:
    reading = read_header(["番号", "質問", "回答", "URL"])
    [(column, message)] = reading.warnings
    assert column == "" and "番号→id, 質問→question, 回答→answer" in message and "columns read as" in message


def test_bookkeeping_columns_are_skipped_with_a_warning() -> None:
    reading = read_header(["id", "question", "answer", "備考", "更新日"])
    assert reading.columns == ["id", "question", "answer", None, None] and reading.errors == []
    assert [column for column, _ in reading.warnings] == ["備考", "更新日"]
    assert all("取り込みません" in m and "not imported" in m for _, m in reading.warnings)


def test_unknown_empty_doubled_and_missing_columns_are_errors_with_the_fix() -> None:
    reading = read_header(["番号", "質問", "", "colour", "No"])
    assert [column for column, _ in reading.errors] == ["(3)", "colour", "No", "answer"]
    messages = dict(reading.errors)
    assert "見出しを付けるか" in messages["(3)"] and "name it or delete" in messages["(3)"]
    assert "answer(回答)" in messages["colour"] and "rename it" in messages["colour"]
    assert "「番号」と「No」" in messages["No"]
    assert "「answer」か「回答」" in messages["answer"]


def test_every_column_has_a_japanese_name_and_only_three_are_required() -> None:
    assert set(ALIASES) == set(ALL_COLUMNS)
    assert REQUIRED_COLUMNS == ("id", "question", "answer")


def test_shown_names_the_column_as_the_file_does() -> None:
    reading = read_header(["番号", "question", "回答", "URL"])
    assert [reading.shown(c) for c in ("id", "question", "answer", "url", "")] == [
        "番号(id)",
        "question",
        "回答(answer)",
        "URL",
        "",
    ]
