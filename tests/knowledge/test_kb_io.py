from datetime import date
from pathlib import Path

from openpyxl import Workbook

from knowledge.kb import FaqEntry
from knowledge.kb_io import read_kb_file, write_kb_file

HEADER = "id,question,answer,category,department,url,alt_questions,keywords,valid_from,valid_to"
GOOD_ROW = "juminhyo,住民票がほしい,市民課でどうぞ。,届出,市民課,https://www.city.example.jp/a,住民票の写し|住民票の取り方,住民票,,"


def _write(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_reads_utf8_bom_and_cp932(tmp_path: Path) -> None:
    text = f"{HEADER}\r\n{GOOD_ROW}\r\n"
    for name, encoding in (("utf8.csv", "utf-8"), ("bom.csv", "utf-8-sig"), ("sjis.csv", "cp932")):
        result = read_kb_file(_write(tmp_path / name, text, encoding))
        assert result.errors == [], name
        entry = result.entries[0]
        assert entry.question == "住民票がほしい"
        assert entry.alt_questions == ["住民票の写し", "住民票の取り方"]
        assert entry.keywords == ["住民票"]


def test_every_bad_row_is_reported(tmp_path: Path) -> None:
    rows = [
        HEADER,
        GOOD_ROW,
        "juminhyo,重複,回答,c,d,https://x.jp,,,,",  # row 3 duplicate id
        "empty-q,,回答,c,d,https://x.jp,,,,",  # row 4 empty question
        "empty-a,質問,,c,d,https://x.jp,,,,",  # row 5 empty answer
        "bad-url,質問,回答,c,d,www.x.jp,,,,",  # row 6 bad url
        "bad-date,質問,回答,c,d,https://x.jp,,,2024/02/30,",  # row 7 no such day
        "Bad Id,質問,回答,c,d,https://x.jp,,,,",  # row 8 bad id
    ]
    result = read_kb_file(_write(tmp_path / "kb.csv", "\n".join(rows) + "\n", "utf-8"))
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(3, "id"), (4, "question"), (5, "answer"), (6, "url"), (7, "valid_from"), (8, "id")}
    assert result.entries == []  # nothing is applied while any error remains
    assert "row 3" in str(result.errors[0]) or any("row 3" in str(e) for e in result.errors)
    for error in result.errors:  # each says what is wrong and what to do, in Japanese and in English
        japanese, english = error.message.split(" / ", 1)
        assert "ください" in japanese and ":" in english, error.message


def test_unknown_and_missing_columns(tmp_path: Path) -> None:
    text = "id,question,category,url,colour\nx,q,c,https://x.jp,red\n"
    result = read_kb_file(_write(tmp_path / "kb.csv", text, "utf-8"))
    assert {(e.row, e.column) for e in result.errors} == {(1, "colour"), (1, "answer")}
    [unknown] = [e for e in result.errors if e.column == "colour"]
    assert "question(質問)" in unknown.message and "削除" in unknown.message


def test_only_id_question_and_answer_are_required(tmp_path: Path) -> None:
    result = read_kb_file(_write(tmp_path / "kb.csv", "id,question,answer\nQ-001,質問,回答\n", "utf-8"))
    assert result.errors == [] and result.entries == [FaqEntry("Q-001", "質問", "回答")]


def test_xlsx_with_date_cells(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(
        [
            "inu",
            "犬の登録",
            "30日以内に登録してください。",
            "生活",
            "環境課",
            "https://x.jp/inu",
            "",
            "犬",
            date(2024, 4, 1),
            None,
        ]
    )
    path = tmp_path / "kb.xlsx"
    workbook.save(path)
    result = read_kb_file(path)
    assert result.errors == []
    assert result.entries[0].valid_from == date(2024, 4, 1)


def _entries() -> list[FaqEntry]:
    return [
        FaqEntry(
            "juminhyo",
            "住民票がほしい",
            '市民課で。\n1通300円、"証明書"',
            "届出",
            "市民課",
            "https://www.city.example.jp/a",
            ["住民票の写し", "住民票, 取り方"],
            ["住民票"],
            "At the Citizens Division.",
            "しみんかで もらえます。",
            date(2024, 4, 1),
            date(2025, 3, 31),
        ),
        FaqEntry("formula", "=SUM(A1)", "+1 は数式ではありません", "", "", "", [], [], "", "", None, None),
    ]


def test_round_trip_csv_and_xlsx(tmp_path: Path) -> None:
    for name in ("out.csv", "out.xlsx"):
        path = tmp_path / name
        write_kb_file(_entries(), path)
        result = read_kb_file(path)
        assert result.errors == [], name
        assert result.entries == _entries(), name
    assert (tmp_path / "out.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_unsupported_and_empty_files(tmp_path: Path) -> None:
    assert read_kb_file(tmp_path / "kb.json").errors[0].row == 0
    assert read_kb_file(_write(tmp_path / "empty.csv", "", "utf-8")).errors
