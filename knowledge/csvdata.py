"""Reading the city's CSV files (garbage calendar, clinic roster, departments, snowplow areas).

Cities export CSV from Excel, so files arrive as UTF-8, UTF-8 with BOM or CP932 (Shift_JIS).
Readers collect every problem with its file and spreadsheet row number (the header is row
1) and raise one :class:`CityDataError` listing them all, so an import can show the clerk
everything to fix at once and apply nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

__all__ = [
    "CityDataError",
    "CsvRow",
    "DataProblem",
    "parse_date",
    "parse_hours",
    "read_csv",
]


@dataclass(frozen=True)
class DataProblem:
    """One thing wrong in one data file; ``row`` is the spreadsheet row (header = 1), 0 = whole file."""

    file: str
    row: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file} 行{self.row}" if self.row else self.file
        return f"{where}: {self.message}"


class CityDataError(ValueError):
    """A data file could not be used; ``problems`` lists every bad row."""

    def __init__(self, problems: list[DataProblem]):
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems[:20])
        more = f"\n… ほか{len(self.problems) - 20}件" if len(self.problems) > 20 else ""
        super().__init__(shown + more)

    @property
    def file(self) -> str:
        return self.problems[0].file if self.problems else ""

    @property
    def row(self) -> int:
        return self.problems[0].row if self.problems else 0


@dataclass(frozen=True)
class CsvRow:
    number: int  # spreadsheet row number, header = 1
    values: dict[str, str]
    cells: tuple[str, ...] = ()  # the stripped cells in file order (for files read by position)

    def get(self, key: str, default: str = "") -> str:
        return (self.values.get(key) or default).strip()


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), falling back to CP932."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("utf-8/cp932", data, 0, 1, "文字コードが UTF-8 でも CP932 でもありません")


def read_csv(path: str | Path, required: list[str]) -> tuple[list[str], list[CsvRow]]:
    """Header and rows of ``path``; raises :class:`CityDataError` for a missing file or columns.

    Blank lines are skipped; cell values are stripped of surrounding whitespace.
    """
    p = Path(path)
    try:
        text = decode(p.read_bytes())
    except FileNotFoundError as exc:
        raise CityDataError([DataProblem(p.name, 0, "ファイルがありません / file not found")]) from exc
    except UnicodeDecodeError as exc:
        raise CityDataError([DataProblem(p.name, 0, str(exc.reason))]) from exc
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise CityDataError([DataProblem(p.name, 1, "空のファイルです / empty file")]) from exc
    except csv.Error as exc:
        raise CityDataError([DataProblem(p.name, 1, f"CSV として読めません / {exc}")]) from exc
    missing = [c for c in required if c not in header]
    if missing:
        raise CityDataError(
            [DataProblem(p.name, 1, f"列がありません / missing columns: {', '.join(missing)}")]
        )
    rows: list[CsvRow] = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            values = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                values["__extra__"] = ",".join(cells[len(header) :])
            rows.append(CsvRow(number, values, tuple(c.strip() for c in cells)))
    except csv.Error as exc:  # a stray carriage return, a cell over 128 KB
        raise CityDataError([DataProblem(p.name, reader.line_num, f"CSV として読めません / {exc}")]) from exc
    return header, rows


def parse_date(text: str) -> date:
    """``2026-04-01``, ``2026/4/1`` or ``20260401``; raises ValueError."""
    t = text.strip()
    if len(t) == 8 and t.isdigit():
        return date(int(t[:4]), int(t[4:6]), int(t[6:]))
    parts = t.replace("/", "-").split("-")
    if len(parts) != 3:
        raise ValueError(f"日付の形式が違います / bad date: {text!r}")
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def parse_hours(text: str) -> tuple[tuple[time, time], ...]:
    """``9:00-12:00 13:00-17:00`` (also ``、``/``,``/``〜`` separators) -> time ranges.

    Empty text is "no hours". Raises ValueError on a malformed or backwards range.
    """
    t = text.strip().replace("〜", "-").replace("～", "-").replace("－", "-").replace("：", ":")
    for sep in ("、", ",", "/", ";"):
        t = t.replace(sep, " ")
    ranges: list[tuple[time, time]] = []
    for part in t.split():
        if "-" not in part:
            raise ValueError(f"時間帯は 9:00-17:00 の形で書いてください / bad hours: {text!r}")
        a, b = part.split("-", 1)
        start, end = _parse_time(a), _parse_time(b)
        if end <= start:
            raise ValueError(f"終了が開始より前です / end before start: {text!r}")
        ranges.append((start, end))
    return tuple(ranges)


def _parse_time(text: str) -> time:
    h, _, m = text.partition(":")
    hour, minute = int(h), int(m or 0)
    if hour == 24 and minute == 0:
        return time(23, 59, 59)
    return time(hour, minute)
