"""Reading and writing the FAQ spreadsheet staff edit (CSV or XLSX).

Columns: ``id,question,answer,category,department,url`` are required; ``alt_questions`` and ``keywords``
(``|``-separated), ``answer_en``, ``answer_easy``, ``valid_from``, ``valid_to`` (YYYY-MM-DD) are optional.
CSV may be UTF-8, UTF-8 with BOM (what Excel writes) or CP932 (Shift_JIS, older Excel).

:func:`read_kb_file` validates everything and reports *every* problem with its spreadsheet row number
(the header is row 1); callers must apply nothing unless ``errors`` is empty.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from knowledge.kb import FaqEntry, entry_problems

__all__ = [
    "ALL_COLUMNS",
    "KbReadResult",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "RowError",
    "read_kb_file",
    "write_kb_file",
]

REQUIRED_COLUMNS = ("id", "question", "answer", "category", "department", "url")
OPTIONAL_COLUMNS = ("alt_questions", "keywords", "answer_en", "answer_easy", "valid_from", "valid_to")
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
LIST_SEPARATOR = "|"
TRANSLATION_COLUMN = re.compile(r"^answer_([a-z]{2,3})$")  # answer_zh, answer_ko, answer_vi, answer_pt…
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
            return KbReadResult(
                errors=[RowError(0, "", f"unsupported file type {suffix!r}; use .csv or .xlsx")]
            )
    except (OSError, ValueError, KeyError) as exc:  # also a broken workbook, a CSV the csv module refuses
        return KbReadResult(errors=[RowError(0, "", f"cannot read {path.name} / 読み込めません: {exc}")])
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
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
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
            "the file is neither UTF-8 nor Shift_JIS (CP932) / 文字コードを判別できません"
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
            cell.value = value
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
    return str(value).strip()


def _parse_rows(rows: list[list[Any]]) -> KbReadResult:
    result = KbReadResult()
    if not rows:
        result.errors.append(RowError(0, "", "the file is empty / ファイルが空です"))
        return result
    header = [_cell_text(c).lower() for c in rows[0]]
    while header and not header[-1]:
        header.pop()
    for position, name in enumerate(header, start=1):
        if name not in ALL_COLUMNS and not TRANSLATION_COLUMN.match(name):
            label = name or f"(column {position})"
            result.errors.append(RowError(1, label, f"unknown column {label!r} / 不明な列です"))
        elif header.count(name) > 1 and header.index(name) != position - 1:
            result.errors.append(RowError(1, name, f"column {name!r} appears twice / 列が重複しています"))
    for name in REQUIRED_COLUMNS:
        if name not in header:
            result.errors.append(
                RowError(1, name, f"required column {name!r} is missing / 必須の列がありません")
            )
    if result.errors:
        return result
    first_row_of: dict[str, int] = {}
    for row_number, raw in enumerate(rows[1:], start=2):
        cells = [_cell_text(c) for c in raw]
        if not any(cells):
            continue
        extra = [c for c in cells[len(header) :] if c]
        if extra:
            result.errors.append(RowError(row_number, "", "values beyond the last column / 列数が多すぎます"))
        record = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
        entry, problems = _record_entry(record)
        result.errors.extend(RowError(row_number, column, message) for column, message in problems)
        if entry is None:
            continue
        for column, message in entry_problems(entry):
            result.errors.append(RowError(row_number, column, message))
        if entry.id in first_row_of:
            result.errors.append(
                RowError(
                    row_number, "id", f"duplicate id {entry.id!r} (first in row {first_row_of[entry.id]})"
                )
            )
        else:
            first_row_of[entry.id] = row_number
        result.entries.append(entry)
    if result.errors:
        result.entries = []
    return result


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


def _parse_date(text: str) -> date:
    if not _DATE.match(text):
        raise ValueError(text)
    return date.fromisoformat(text)


def _record_entry(record: dict[str, str]) -> tuple[FaqEntry | None, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    dates: dict[str, date | None] = {}
    for name in ("valid_from", "valid_to"):
        text = record.get(name, "")
        dates[name] = None
        if text:
            try:
                dates[name] = _parse_date(text)
            except ValueError:
                problems.append((name, f"date must be YYYY-MM-DD, got {text!r} / 日付は YYYY-MM-DD 形式で"))
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
