"""Reading and writing the FAQ spreadsheet staff edit (CSV or XLSX), and the files cities already have.

Columns (:mod:`knowledge.kb_columns`, each also under its Japanese names: 番号, 質問, 回答, 分類, 担当課, URL…):
``id``, ``question`` and ``answer`` are required; ``category``, ``department``, ``url`` (may be empty),
``alt_questions`` and ``keywords`` (``|``-separated), ``answer_en``, ``answer_easy``, ``answer_<lang>``,
``valid_from``, ``valid_to`` (2024-04-01 or 2024/4/1) are optional. Ids are kept as the city writes them
(Q-001, F001, 123…). CSV may be UTF-8, UTF-8 with BOM (what Excel writes) or CP932 (Shift_JIS, older Excel).

:func:`read_kb_file` validates everything and reports *every* problem with its spreadsheet row number
(the header is row 1), in Japanese and English with the fix; callers must apply nothing unless ``errors`` is
empty. ``warnings`` never stop an import: HTML turned into text (<br> → line break, links kept as
``text (address)``), columns read under another name or skipped, the same answer in two rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from knowledge.html_text import html_to_text, looks_like_html
from knowledge.kb import FaqEntry, entry_problems, parse_date
from knowledge.kb_columns import (
    ALL_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    TRANSLATION_COLUMN,
    read_header,
)
from knowledge.spreadsheet import csv_text, neutralise, restore

__all__ = [
    "ALL_COLUMNS",
    "KbReadResult",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "RowError",
    "read_kb_file",
    "write_kb_file",
]

LIST_SEPARATOR = "|"
# Cells where cities leave HTML (answer_<lang> columns too): converted to text, with a warning.
HTML_COLUMNS = ("question", "answer", "answer_en", "answer_easy")


@dataclass(frozen=True)
class RowError:
    """One problem: spreadsheet ``row`` (header = 1; 0 = the file itself), ``column`` ('' if none)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class KbReadResult:
    entries: list[FaqEntry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)  # shown to staff; never stop an import

    @property
    def ok(self) -> bool:
        return not self.errors


def read_kb_file(path: str | Path) -> KbReadResult:
    """Read and validate a KB file (``.csv`` or ``.xlsx``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            rows = _xlsx_rows(path)
        elif suffix in (".csv", ".txt"):
            rows = _csv_rows(path.read_bytes())
        else:
            message = (
                f"「{suffix}」のファイルは読めません。CSV(.csv)か Excel(.xlsx)で保存してください / "
                f"unsupported file type {suffix!r}: save it as .csv or .xlsx"
            )
            return KbReadResult(errors=[RowError(0, "", message)])
    except (OSError, ValueError, KeyError) as exc:  # also a broken workbook, a CSV the csv module refuses
        message = (
            f"{path.name} を読み込めません。Excel で開いて CSV か .xlsx で保存し直してください / "
            f"cannot read {path.name}: save it again from Excel as .csv or .xlsx ({exc})"
        )
        return KbReadResult(errors=[RowError(0, "", message)])
    return _parse_rows(rows)


def write_kb_file(entries: list[FaqEntry], path: str | Path) -> None:
    """Write entries as CSV (UTF-8 with BOM, so Excel opens it) or XLSX, chosen by the extension."""
    path = Path(path)
    languages = sorted({lang for e in entries for lang in e.translations if lang != "en"})
    header = list(ALL_COLUMNS) + [f"answer_{lang}" for lang in languages]
    rows = [header] + [_entry_row(e) + [e.translations.get(lang, "") for lang in languages] for e in entries]
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(rows, path)
    elif suffix == ".csv":
        path.write_bytes(csv_text(rows[0], rows[1:]).encode("utf-8-sig"))
    else:
        raise ValueError(f"unsupported file type {suffix!r}; use .csv or .xlsx")


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as exc:
        raise ValueError(
            "文字コードを判別できません。UTF-8 か Shift_JIS で保存してください / "
            "the file is neither UTF-8 nor Shift_JIS (CP932): save it in one of them"
        ) from exc


def _csv_rows(data: bytes) -> list[list[Any]]:
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    try:
        return list(reader)
    except csv.Error as exc:  # e.g. a cell over 128 KB
        raise ValueError(f"line {reader.line_num}: {exc}") from exc


def _xlsx_rows(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl on bytes that are not a workbook: zip, XML and format errors
        raise ValueError(f"not an Excel (.xlsx) workbook ({type(exc).__name__})") from exc
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _write_xlsx(rows: list[list[str]], path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "faq"
    for row_index, row in enumerate(rows, start=1):
        for column_index, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_index, column=column_index)
            cell.value = neutralise(value)  # the import restore()s what this prefixed
            cell.data_type = "s"  # never a formula, even when the text starts with '='
    tmp = path.with_name(path.name + ".tmp")
    workbook.save(tmp)
    tmp.replace(path)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return restore(str(value)).strip()  # the apostrophe write_kb_file put before '=', '-'… comes off


def _parse_rows(rows: list[list[Any]]) -> KbReadResult:
    result = KbReadResult()
    if not rows:
        message = "ファイルが空です。見出し行と FAQ の行を入れてください / the file is empty: add a header, then rows"
        result.errors.append(RowError(0, "", message))
        return result
    labels = [_cell_text(c) for c in rows[0]]
    while labels and not labels[-1]:
        labels.pop()
    header = read_header(labels)
    result.errors.extend(RowError(1, column, message) for column, message in header.errors)
    result.warnings.extend(RowError(1, column, message) for column, message in header.warnings)
    if result.errors:
        return result
    first_row_of: dict[str, int] = {}  # id -> row
    answer_row: dict[str, int] = {}  # answer (spaces folded) -> first row
    for row_number, raw in enumerate(rows[1:], start=2):
        cells = [_cell_text(c) for c in raw]
        if not any(cells):
            continue
        problems: list[tuple[str, str]] = [("", _BEYOND)] if any(cells[len(labels) :]) else []
        notes: list[tuple[str, str]] = []
        record = {name: cells[i] for i, name in enumerate(header.columns) if name and i < len(cells)}
        converted = _html_to_text(record)
        if converted:
            notes.append((", ".join(header.shown(name) for name in converted), _HTML))
        entry, date_problems = _record_entry(record)
        problems += date_problems + entry_problems(entry)
        if entry.id in first_row_of:
            problems.append(("id", _twice(entry.id, first_row_of[entry.id])))
        first_row_of.setdefault(entry.id, row_number)
        answer = " ".join(entry.answer.split())
        if answer and answer in answer_row:
            notes.append(("answer", _same_answer(answer_row[answer], row_number)))
        answer_row.setdefault(answer, row_number)
        result.errors += [RowError(row_number, header.shown(col), message) for col, message in problems]
        result.warnings += [RowError(row_number, header.shown(col), message) for col, message in notes]
        result.entries.append(entry)
    if result.errors:
        result.entries = []
    return result


_BEYOND = (
    "見出しのない列に値があります。見出しを付けるか、値を消してください / "
    "values beyond the last named column: give the column a header or delete the values"
)
_HTML = (
    "HTML を文字に直しました(<br> は改行、リンクは「文字 (URL)」)。ファイルのタグも消すとこの警告は出ません / "
    "HTML converted to plain text (<br> to a line break, links to 'text (address)'); remove the tags to "
    "silence this"
)


def _twice(faq_id: str, first: int) -> str:
    return (
        f"ID「{faq_id}」は{first}行目と重なっています。ID は行ごとに別にしてください / "
        f"duplicate id {faq_id!r} (first in row {first}): give every row its own id"
    )


def _same_answer(first: int, again: int) -> str:
    return (
        f"{again}行目の回答が{first}行目と同じです。同じ質問なら1行にまとめて、もう一方の質問は言い換え"
        f"(alt_questions)に入れてください / the answer of row {again} is the same as row {first}'s: "
        "if they answer the same question, keep one row and put the other question in alt_questions"
    )


def _html_to_text(record: dict[str, str]) -> list[str]:
    """Turn the HTML in the record's text columns into plain text, in place; the columns that had some."""
    converted = []
    for name, text in record.items():
        if (name in HTML_COLUMNS or TRANSLATION_COLUMN.match(name)) and looks_like_html(text):
            record[name] = html_to_text(text)
            converted.append(name)
    return converted


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


def _record_entry(record: dict[str, str]) -> tuple[FaqEntry, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    dates: dict[str, date | None] = {}
    for name in ("valid_from", "valid_to"):
        text = record.get(name, "")
        dates[name] = None
        if text:
            try:
                dates[name] = parse_date(text)
            except ValueError:
                problems.append(
                    (
                        name,
                        f"日付「{text}」は読めません。2024-04-01 か 2024/4/1 の形で書いてください / "
                        f"date {text!r} not understood: write it as 2024-04-01 or 2024/4/1",
                    )
                )
    entry = FaqEntry(
        id=record.get("id", ""),
        question=record.get("question", ""),
        answer=record.get("answer", ""),
        category=record.get("category", ""),
        department=record.get("department", ""),
        url=record.get("url", ""),
        alt_questions=_split_list(record.get("alt_questions", "")),
        keywords=_split_list(record.get("keywords", "")),
        answer_en=record.get("answer_en", ""),
        answer_easy=record.get("answer_easy", ""),
        valid_from=dates["valid_from"],
        valid_to=dates["valid_to"],
        translations={
            m.group(1): text
            for name, text in record.items()
            if (m := TRANSLATION_COLUMN.match(name)) and name not in ALL_COLUMNS and text
        },
    )
    return entry, problems


def _entry_row(entry: FaqEntry) -> list[str]:
    return [
        entry.id,
        entry.question,
        entry.answer,
        entry.category,
        entry.department,
        entry.url,
        LIST_SEPARATOR.join(entry.alt_questions),
        LIST_SEPARATOR.join(entry.keywords),
        entry.answer_en,
        entry.answer_easy,
        entry.valid_from.isoformat() if entry.valid_from else "",
        entry.valid_to.isoformat() if entry.valid_to else "",
    ]
