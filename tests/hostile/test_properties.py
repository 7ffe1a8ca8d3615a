"""Property tests for the parsers that read text from outside: the normaliser, the FAQ spreadsheet importer
(`knowledge.kb_io` and `madoguchi kb import`) and the 5374.jp garbage calendar files.

The promise under test: whatever arrives, the result is either a clean, validated value or a clear error that
names the file and row; never an exception from deep inside, and never half an import. Example counts are
bounded for CI (`derandomize`: the same examples every run); tests/knowledge keeps the functional cases.
"""

from __future__ import annotations

import csv
import io
import shutil
import string
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.storage import faq_repo
from bot.storage.db import make_engine, migrate, session_factory
from bot.storage.models import FaqRow
from knowledge.csvdata import CityDataError
from knowledge.garbage.calendar import GarbageCalendar
from knowledge.garbage.rules import WEEKDAY_CHARS, RuleSyntaxError, parse_schedule
from knowledge.kb import FaqEntry
from knowledge.kb_io import ALL_COLUMNS, read_kb_file, write_kb_file
from knowledge.normalize import Normalizer, katakana_to_hiragana

CITY = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "city"
NO_FIXTURE_RESET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
QUICK = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=NO_FIXTURE_RESET)
SLOWER = settings(QUICK, max_examples=40)

# Any code point at all: controls, private use, unassigned, lone surrogates.
ANY_CHAR = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
)
ANY_TEXT = st.text(ANY_CHAR, max_size=80)
JAPANESE = st.text(
    st.sampled_from(
        "住民票の写しがほしいごみを出す日申し込み手続きマイナンバーカードｺﾞﾐＡＢＣ１２ー〜～、。！？ 　"
    ),
    max_size=30,
)
TEXTS = st.one_of(ANY_TEXT, JAPANESE)
N = Normalizer()


# --- normaliser ------------------------------------------------------------------------------------------


@QUICK
@given(TEXTS)
def test_normaliser_is_total_and_idempotent_on_any_code_point(text: str) -> None:
    clean, key = N.clean(text), N.key(text)
    assert isinstance(clean, str) and isinstance(key, str)
    assert N.clean(clean) == clean and N.key(key) == key


@QUICK
@given(TEXTS)
def test_key_is_a_function_of_the_cleaned_text(text: str) -> None:
    assert N.key(N.clean(text)) == N.key(text)


@QUICK
@given(TEXTS)
def test_key_alphabet(text: str) -> None:
    """Lower case, no katakana, no punctuation / symbols / controls, single inner spaces."""
    key = N.key(text)
    assert key == key.strip() and "  " not in key
    assert key.casefold() == key
    for ch in key:
        assert not 0x30A1 <= ord(ch) <= 0x30F6, ch
        if ch not in " ー々":
            assert unicodedata.category(ch)[0] not in "PSZC", (ch, unicodedata.category(ch))


HIRAGANA = st.text(st.characters(min_codepoint=0x3041, max_codepoint=0x3096), min_size=1, max_size=20)


@QUICK
@given(HIRAGANA)
def test_key_ignores_kana_script_and_width(word: str) -> None:
    katakana = "".join(chr(ord(c) + 0x60) for c in word)
    assert katakana_to_hiragana(katakana) == word
    half_width = unicodedata.normalize("NFKC", katakana)  # (NFKC only widens; the key must agree anyway)
    assert N.key(katakana) == N.key(word) == N.key(half_width)


@QUICK
@given(st.text(string.ascii_letters + string.digits, min_size=1, max_size=20))
def test_key_ignores_full_width_latin_and_case(word: str) -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in word)
    assert N.key(full_width) == N.key(word.upper()) == word.lower()


@QUICK
@given(JAPANESE, JAPANESE, st.sampled_from(["、", "。", "！", "？", "「", "」", "\u3000", "!?", ", ", "."]))
def test_punctuation_between_words_is_a_space(left: str, right: str, mark: str) -> None:
    assume(not left.endswith(tuple("ー〜～")) and not right.startswith(tuple("ー〜～")))
    assert N.key(f"{left}{mark}{right}") == N.key(f"{left} {right}")


@QUICK
@given(st.dictionaries(JAPANESE, JAPANESE, max_size=6), TEXTS)
def test_any_synonym_list_keeps_the_key_idempotent(synonyms: dict[str, str], text: str) -> None:
    normaliser = Normalizer(synonyms)
    key = normaliser.key(text)
    assert normaliser.key(key) == key


# --- FAQ spreadsheet importer ---------------------------------------------------------------------------


def _check_result(result, records: int) -> None:  # type: ignore[no-untyped-def]
    assert result.ok == (not result.errors)
    if result.errors:
        assert result.entries == []  # nothing to apply while any error remains
    for error in result.errors:
        assert 0 <= error.row <= records + 1 and str(error)


@QUICK
@given(st.binary(max_size=2048), st.sampled_from([".csv", ".xlsx"]))
def test_any_bytes_give_entries_or_errors(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"faq{suffix}"
    path.write_bytes(data)
    _check_result(read_kb_file(path), data.count(b"\n") + data.count(b"\r"))


def test_hostile_files_are_errors_not_exceptions(tmp_path: Path) -> None:
    zipped = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(zipped, "w") as archive:  # a zip, but no workbook inside
        archive.writestr("xl/workbook.xml", "<not-closed")
    cases = {
        "zip.xlsx": zipped.getvalue(),
        "garbage.xlsx": b"PK\x03\x04" + b"\xff" * 64,
        "huge-cell.csv": ("id,question\nx," + "あ" * 200_000 + "\n").encode(),
        "utf16.csv": "id,question\n".encode("utf-16"),
        "nul.csv": b"id,question,answer,category,department,url\nnul,q\x00,a,c,d,\n",  # PostgreSQL refuses NUL
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        result = read_kb_file(tmp_path / name)
        assert result.errors and result.entries == [], name
    assert read_kb_file(tmp_path / "nul.csv").errors[0].row == 2


SLUG = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)
# Cell text: anything printable plus tab and newline ("\r" alone is not kept by .xlsx, whose XML turns it
# into "\n"), without "|" (the list separator of alt_questions / keywords).
PRINTABLE = st.characters(
    exclude_categories=("Cs",), exclude_characters="|\x7f", min_codepoint=0x20
) | st.sampled_from("\t\n")
CELL = st.text(PRINTABLE, max_size=30)
SOME = CELL.filter(lambda t: t.strip() != "")
DAY = st.dates(date(2000, 1, 1), date(2100, 12, 31))
URL = st.sampled_from(["", "https://www.city.example.jp/faq", "http://city.example.jp/a?b=1"])
# How a row is broken -> the column the importer must name.
BREAKS = {
    "id": "Bad Id!",
    "question": " ",
    "answer": "",
    "url": "www.city.example.jp",
    "valid_from": "2024/02/30",  # no such day (2024/4/1 itself is read: cities write dates so)
    "category": "x" * 65,
    "department": "\x00",
    "answer_en": "bell\x07",
}


@st.composite
def faq_rows(draw: st.DrawFn, breaks: bool = True) -> tuple[list[dict[str, str]], dict[int, str]]:
    """Rows with unique ids; some broken in one known column. Returns (rows, {row number: column})."""
    ids = draw(st.lists(SLUG, min_size=1, max_size=8, unique=True))
    rows, broken = [], {}
    for number, faq_id in enumerate(ids, start=2):
        start = draw(st.none() | DAY)
        row = {
            "id": faq_id,
            "question": draw(SOME),
            "answer": draw(SOME),
            "category": draw(CELL),
            "department": draw(CELL),
            "url": draw(URL),
            "alt_questions": "|".join(draw(st.lists(SOME, max_size=3))),
            "keywords": "|".join(draw(st.lists(SOME, max_size=3))),
            "answer_en": draw(CELL),
            "answer_easy": draw(CELL),
            "valid_from": start.isoformat() if start else "",
            "valid_to": (start + timedelta(days=draw(st.integers(0, 400)))).isoformat() if start else "",
        }
        column = draw(st.none() | st.sampled_from(sorted(BREAKS))) if breaks else None
        if column is not None:
            row[column] = BREAKS[column]
            broken[number] = column
        rows.append(row)
    return rows, broken


def _csv_bytes(rows: list[dict[str, str]], encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(ALL_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


@QUICK
@given(faq_rows(), st.sampled_from(["utf-8", "utf-8-sig"]))
def test_every_broken_row_is_named_by_row_and_column(
    tmp_path: Path, generated: tuple[list[dict[str, str]], dict[int, str]], encoding: str
) -> None:
    rows, broken = generated
    path = tmp_path / "faq.csv"
    path.write_bytes(_csv_bytes(rows, encoding))
    result = read_kb_file(path)
    _check_result(result, len(rows))
    assert {(e.row, e.column) for e in result.errors} == set(broken.items())
    if not broken:  # a clean file reads back exactly, and writes back to the same entries
        assert [e.id for e in result.entries] == [r["id"] for r in rows]
        write_kb_file(result.entries, tmp_path / "again.xlsx")
        assert read_kb_file(tmp_path / "again.xlsx").entries == result.entries


@pytest.fixture
def kb_store(db_url: str):  # type: ignore[no-untyped-def]
    migrate(db_url)
    engine = make_engine(db_url)
    yield session_factory(engine)
    engine.dispose()


@SLOWER
@given(faq_rows(breaks=False))
def test_what_validates_can_be_stored(
    tmp_path: Path, kb_store, generated: tuple[list[dict[str, str]], dict[int, str]]
) -> None:
    """A file that passes validation is accepted by the database too (SQLite and PostgreSQL)."""
    rows, _ = generated
    path = tmp_path / "faq.csv"
    path.write_bytes(_csv_bytes(rows, "utf-8"))
    entries = read_kb_file(path).entries
    with kb_store() as session:
        try:
            faq_repo.apply_import(session, entries, actor="property", replace=True)
            session.flush()
            assert {e.id for e in faq_repo.list_entries(session)} == {r["id"] for r in rows}
        finally:
            session.rollback()


def test_cli_import_refuses_hostile_files_and_applies_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_ENV", "test")
    good = [FaqEntry("gomi", "ごみの日は?", "地区ごとに決まっています。", url="https://city.example.jp/gomi")]
    write_kb_file(good, tmp_path / "good.csv")
    runner = CliRunner()
    assert runner.invoke(cli, ["kb", "import", str(tmp_path / "good.csv")]).exit_code == 0
    hostile = {
        "binary.xlsx": b"\x00\x01PK" * 100,
        "huge.csv": ("id,question\nx," + "x" * 300_000).encode(),
        "rows.csv": b"id,question,answer,category,department,url\nok,q,a,c,d,\nB/D,q,,c,d,ftp://x\n",
    }
    for name, data in hostile.items():
        (tmp_path / name).write_bytes(data)
        result = runner.invoke(cli, ["kb", "import", "--replace", str(tmp_path / name)])
        assert result.exit_code == 1, (name, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), name
        assert "取り込みませんでした" in result.output, name
    assert all(f"(row 3) {column}:" in result.output for column in ("id", "answer", "url"))
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'madoguchi.db'}")
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(FaqRow)) == 1  # still just the good import
    engine.dispose()


# --- 5374.jp garbage calendar -----------------------------------------------------------------------------


@QUICK
@given(ANY_TEXT)
def test_schedule_parser_is_total(cell: str) -> None:
    try:
        schedule = parse_schedule(cell)
    except RuleSyntaxError as exc:
        assert str(exc)
        return
    schedule.describe()
    schedule.matches(date(2027, 2, 28))


WEEKDAY = st.sampled_from(WEEKDAY_CHARS)
TOKEN = st.one_of(
    WEEKDAY,
    st.tuples(WEEKDAY, st.integers(1, 5)).map(lambda t: f"{t[0]}{t[1]}"),
    DAY.map(lambda d: d.strftime("%Y%m%d")),
    DAY.map(lambda d: f"隔{WEEKDAY_CHARS[d.weekday()]}{d:%Y%m%d}"),
    st.integers(1, 99).map(lambda n: f"*{n}"),
)


FULL_WIDTH = str.maketrans("0123456789:*", "０１２３４５６７８９：＊")


@st.composite
def schedule_cells(draw: st.DrawFn) -> str:
    cell = " ".join(draw(st.lists(TOKEN, min_size=1, max_size=6)))
    months = draw(st.none() | st.lists(st.integers(1, 12), min_size=1, max_size=12, unique=True))
    if months and any(not t.startswith(("*", "2", "1")) for t in cell.split()):
        cell += ":" + " ".join(map(str, months))
    return cell.translate(FULL_WIDTH) if draw(st.booleans()) else cell  # Excel users type full width


@QUICK
@given(schedule_cells(), DAY)
def test_generated_cells_parse_and_mean_what_they_say(cell: str, day: date) -> None:
    schedule = parse_schedule(cell)
    tokens = unicodedata.normalize("NFKC", cell).split(":")[0].split()
    weekly = {WEEKDAY_CHARS.index(t) for t in tokens if t in WEEKDAY_CHARS}
    if day.weekday() in weekly and schedule.in_months(day):
        assert schedule.matches(day)
    if day.strftime("%Y%m%d") in tokens:
        assert schedule.matches(day)  # explicit dates stand whatever the month list says
    if schedule.matches(day) and not schedule.is_explicit(day):
        assert schedule.in_months(day)
    assert schedule.describe()


FILES = ["area_days.csv", "center.csv", "target.csv", "description.csv", "remarks.csv", "area_aliases.csv"]


@pytest.fixture
def city_copy(tmp_path: Path) -> Path:
    target = tmp_path / "city"
    shutil.copytree(CITY, target)
    return target


@QUICK
@given(
    st.sampled_from(FILES), st.binary(max_size=1500) | ANY_TEXT.map(lambda t: t.encode("utf-8", "replace"))
)
def test_any_bytes_in_any_5374_file_give_a_calendar_or_file_and_row(
    city_copy: Path, name: str, data: bytes
) -> None:
    original = (CITY / name).read_bytes()
    (city_copy / name).write_bytes(data)
    try:
        GarbageCalendar.load(city_copy)
    except CityDataError as exc:
        assert exc.problems and all(p.file in FILES and p.row >= 0 and p.message for p in exc.problems)
    finally:
        (city_copy / name).write_bytes(original)


@QUICK
@given(
    st.lists(st.tuples(schedule_cells(), st.none() | st.text(PRINTABLE, max_size=30)), min_size=1, max_size=8)
)
def test_each_bad_area_row_is_reported_with_its_row(
    city_copy: Path, rows: list[tuple[str, str | None]]
) -> None:
    """area_days.csv rows with generated valid cells, some replaced by hostile text: exactly those fail."""
    header = "地名,センター,燃やすごみ"
    lines, bad = [header], set()
    for number, (cell, hostile) in enumerate(rows, start=2):
        value = cell
        if hostile is not None:
            try:
                parse_schedule(hostile.strip())  # the loader strips cells
            except RuleSyntaxError:
                value = hostile
                bad.add(number)
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow([f"地区{number}", "", value])
        lines.append(out.getvalue())
    assume(all("\r" not in line and "\n" not in line for line in lines))
    (city_copy / "area_days.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        calendar = GarbageCalendar.load(city_copy)
    except CityDataError as exc:
        assert {p.row for p in exc.problems} == bad and all(p.file == "area_days.csv" for p in exc.problems)
    else:
        assert not bad and len(calendar.areas()) == len(rows)
