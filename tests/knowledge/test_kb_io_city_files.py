"""FAQ files as cities have them: Japanese headers, their own ids, empty URLs, HTML left in answers, dates written
2022/2/28, Excel's CP932 CSV and .xlsx; and the spreadsheet-formula apostrophe coming off on the way back in."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from knowledge.kb import FaqEntry
from knowledge.kb_io import read_kb_file, write_kb_file

CITY_FILE = Path(__file__).resolve().parents[1] / "data" / "faq" / "excel_export_sjis.csv"


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_an_faq_exported_from_excel_reads_as_written() -> None:
    result = read_kb_file(CITY_FILE)
    assert result.errors == []
    by_id = {e.id: e for e in result.entries}
    assert list(by_id) == ["Q-001", "Q-002", "Q-003", "Q-004", "Q-005"]
    assert by_id["Q-001"].answer == (
        "市民課の窓口(本庁舎1階)で取れます。\n手数料は1通300円です。\n受付は平日8時30分から17時15分までです。"
    )
    assert by_id["Q-002"].answer.endswith("詳しくは市民課 (tel:0120-000-111)へお問い合わせください。")
    assert by_id["Q-003"].answer == (
        "粗大ごみは事前の申し込みが必要です。\n"
        "申し込みページ (https://www.city.sakuragaoka.example/gomi/sodai.html)から申し込めます。"
    )
    assert (by_id["Q-002"].url, by_id["Q-002"].valid_from) == ("", date(2022, 2, 28))
    assert (by_id["Q-004"].valid_from, by_id["Q-004"].valid_to) == (date(2022, 4, 1), date(2030, 3, 31))
    assert (by_id["Q-005"].category, by_id["Q-005"].department) == ("健康", "健康づくり課")
    warned = [(w.row, w.column) for w in result.warnings]
    assert warned == [(1, "備考"), (1, ""), (2, "回答(answer)"), (3, "回答(answer)"), (4, "回答(answer)")]
    assert "番号→id" in result.warnings[1].message and "HTML" in result.warnings[2].message


def test_an_xlsx_with_japanese_headers_numbers_and_date_cells(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["No.", "質問", "回答", "カテゴリ", "担当", "リンク", "掲載開始日", "回答（英語）"])
    sheet.append(
        [123, "犬の登録", "環境課で登録します。", "くらし", "環境課", None, datetime(2022, 2, 28), ""]
    )
    sheet.append(["VAC-001", "予防接種", "保健センターへ。", "健康", "", "", "2022/4/1", "Health center."])
    path = tmp_path / "faq.xlsx"
    workbook.save(path)
    result = read_kb_file(path)
    assert result.errors == []
    assert result.entries == [
        FaqEntry("123", "犬の登録", "環境課で登録します。", "くらし", "環境課", valid_from=date(2022, 2, 28)),
        FaqEntry(
            "VAC-001",
            "予防接種",
            "保健センターへ。",
            "健康",
            answer_en="Health center.",
            valid_from=date(2022, 4, 1),
        ),
    ]


def test_full_width_headers_and_the_console_labels_are_read(tmp_path: Path) -> None:
    text = "ＩＤ,質問,回答,ＵＲＬ,言い換え(別の聞き方),キーワード,回答（やさしい日本語）\nF001,q,a,,q2|q3,k,やさしい\n"
    result = read_kb_file(_csv(tmp_path / "faq.csv", text))
    assert result.errors == []
    [entry] = result.entries
    assert (entry.id, entry.alt_questions, entry.keywords, entry.answer_easy) == (
        "F001",
        ["q2", "q3"],
        ["k"],
        "やさしい",
    )


def test_problems_name_the_column_as_the_file_does(tmp_path: Path) -> None:
    text = "番号,質問,回答,URL,掲載開始日\nQ 001,質問,回答,www.x.jp,2022/2/30\n"
    result = read_kb_file(_csv(tmp_path / "faq.csv", text, "cp932"))
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "掲載開始日(valid_from)"),
        (2, "番号(id)"),
        (2, "URL"),
    ]
    assert "空白を「-」に" in str(result.errors[1]) and "without spaces" in str(result.errors[1])
    assert result.entries == []


def test_two_columns_for_one_field_are_refused(tmp_path: Path) -> None:
    result = read_kb_file(_csv(tmp_path / "faq.csv", "No.,ID,質問,回答\n1,Q-001,q,a\n"))
    [error] = result.errors
    assert (
        (error.row, error.column) == (1, "ID")
        and "No." in error.message
        and "rename or delete" in error.message
    )


def test_a_missing_required_column_says_which_names_work(tmp_path: Path) -> None:
    result = read_kb_file(_csv(tmp_path / "faq.csv", "質問,回答\nq,a\n"))
    [error] = result.errors
    assert error.column == "id" and "「id」か「番号」" in error.message and "missing" in error.message


def test_the_same_answer_twice_is_a_warning_naming_both_rows(tmp_path: Path) -> None:
    text = "id,question,answer\nQ-001,住民票は？,市民課へ。\nQ-002,印鑑は？,別の回答\nQ-003,戸籍は？, 市民課へ。 \n"
    result = read_kb_file(_csv(tmp_path / "faq.csv", text))
    assert result.errors == [] and len(result.entries) == 3
    [warning] = result.warnings
    assert (warning.row, warning.column) == (4, "answer")
    assert (
        "4行目の回答が2行目と同じ" in warning.message
        and "row 4" in warning.message
        and "row 2" in warning.message
    )


def test_the_formula_apostrophe_comes_off_exactly(tmp_path: Path) -> None:
    cells = ["'=1+1", "'-5度以下", "'@home", "'+81", "''=x", "'abc", "'", "-はそのまま"]
    text = "id,question,answer\n" + "".join(f"q{i},質問{i},{cell}\n" for i, cell in enumerate(cells))
    answers = [e.answer for e in read_kb_file(_csv(tmp_path / "faq.csv", text)).entries]
    assert answers == ["=1+1", "-5度以下", "@home", "+81", "'=x", "'abc", "'", "-はそのまま"]


def test_export_then_import_round_trips_cells_that_look_like_formulas(tmp_path: Path) -> None:
    texts = ["=SUM(A1)", "+81 3", "-", "@mention", "'=x", "''+y", "＝全角"]
    entries = [FaqEntry(f"Q-{i:03}", text, text, category=text) for i, text in enumerate(texts)]
    for name in ("out.csv", "out.xlsx"):
        write_kb_file(entries, tmp_path / name)
        result = read_kb_file(tmp_path / name)
        assert result.errors == [] and result.entries == entries, name
    assert b"'=SUM(A1)" in (tmp_path / "out.csv").read_bytes()  # what Excel sees is text, not a formula


def test_ids_with_characters_that_mean_something_in_csv_round_trip(tmp_path: Path) -> None:
    ids = ["Q-001", "A,B", 'say"hi"', "粗大ごみ-1", "123", "=1", "A&B?#1%+", "007"]
    entries = [FaqEntry(faq_id, f"質問{i}", f"回答{i}") for i, faq_id in enumerate(ids)]
    for name in ("ids.csv", "ids.xlsx"):
        write_kb_file(entries, tmp_path / name)
        result = read_kb_file(tmp_path / name)
        assert result.errors == [] and [e.id for e in result.entries] == ids, name
