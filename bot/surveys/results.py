"""A survey's results: counts per question (the rating distribution and mean), free-text answers with personal
data masked, cross-tabulation by age group (年代) or area (地区) with small cells suppressed, and the exports.

Small cells: a count of 1 to 4 (under :data:`SMALL_CELL`) is shown as :data:`SMALL_LABEL` so that no resident
can be singled out, and so is every count (0 included) of a group with fewer respondents; elsewhere none at all
stays 0. Where a
hidden count could be worked out by subtraction (the only hidden cell of a row whose cells add up to its
respondents, or of a column whose total the per-question counts show because every respondent has a profile)
the next smallest cell is hidden too, until no row or column has exactly one. The age group and area come
from the profile the resident had when answering; a deleted profile takes them out of every cross-tab.

The exports (CSV, XLSX) hold one row per response (a running number, never the pseudonym or the hash), the
answers with free text masked, and no age group or area: those appear only in the suppressed tables.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.privacy import mask_pii
from bot.storage.profiles import AGE_GROUPS
from bot.storage.surveys import SurveyResponseRow, SurveyRow, responses
from bot.surveys.definition import KIND_LABELS, RATING_MAX, RATING_MIN, Question, SurveyDef, parse_definition
from knowledge.clock import to_city_time
from knowledge.spreadsheet import csv_text, neutralise

SMALL_CELL = 5
SMALL_LABEL = "5未満"
DIMENSIONS = {"age_group": "年代", "area": "地区"}
NO_ANSWER = "(無回答)"

Cell = int | float | str


@dataclass
class QuestionResult:
    index: int
    question: Question
    answered: int = 0
    skipped: int = 0
    counts: list[tuple[str, int]] = field(default_factory=list)  # choices, or ratings "1".."5"
    mean: float | None = None  # rating only
    texts: list[str] = field(default_factory=list)  # free text, masked

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.question.kind]


@dataclass
class SurveyResults:
    survey_id: int
    definition: SurveyDef
    respondents: int
    completed: int
    questions: list[QuestionResult]


@dataclass
class CrossRow:
    group: str
    respondents: Cell
    cells: list[Cell]


@dataclass
class CrossTab:
    question_index: int
    dimension: str  # "age_group" | "area"
    columns: list[str]
    rows: list[CrossRow]
    without_profile: Cell  # respondents to the question whose dimension is unknown (suppressed like a cell)

    @property
    def dimension_label(self) -> str:
        return DIMENSIONS[self.dimension]


def _options(q: Question) -> list[str]:
    if q.kind == "rating":
        return [str(v) for v in range(RATING_MIN, RATING_MAX + 1)]
    return list(q.choices)


def _picked(q: Question, value: object) -> list[str]:
    """The options one answer counts for (nothing for a skipped question or free text)."""
    if value is None or q.kind == "text":
        return []
    if q.kind == "multi":
        return [str(v) for v in value] if isinstance(value, list) else []
    return [str(value)]


def _load(session: Session, survey_id: int) -> tuple[SurveyDef, list[SurveyResponseRow]]:
    row = session.get(SurveyRow, survey_id)
    if row is None:
        raise LookupError(survey_id)
    return parse_definition(dict(row.definition)), responses(session, survey_id)


def summarize(session: Session, survey_id: int) -> SurveyResults:
    definition, rows = _load(session, survey_id)
    results = []
    for index, q in enumerate(definition.questions):
        result = QuestionResult(index, q)
        tally = dict.fromkeys(_options(q), 0)
        ratings: list[int] = []
        for response in rows:
            answers = response.answers or {}
            if str(index) not in answers:
                continue
            value = answers[str(index)]
            if value is None:
                result.skipped += 1
                continue
            result.answered += 1
            for option in _picked(q, value):
                tally[option] = tally.get(option, 0) + 1
            if q.kind == "rating":
                ratings.append(int(value))  # type: ignore[call-overload]
            if q.kind == "text" and str(value).strip():
                result.texts.append(mask_pii(str(value)))
        result.counts = list(tally.items()) if q.kind != "text" else []
        result.mean = sum(ratings) / len(ratings) if ratings else None
        results.append(result)
    completed = sum(1 for r in rows if r.completed_at is not None)
    return SurveyResults(survey_id, definition, len(rows), completed, results)


def small(value: int) -> bool:
    """A count that could single someone out: 1 to 4 (none at all is no one)."""
    return 0 < value < SMALL_CELL


def suppress(grid: list[list[int]], additive_rows: bool, known_columns: bool) -> list[list[bool]]:
    """Which cells to hide. ``grid`` rows are groups; column 0 is the group's respondents, the others its
    counts (adding up to column 0 when ``additive_rows``). ``known_columns``: every column's total can be
    read elsewhere (the per-question counts, when every respondent has the dimension)."""
    hidden = [[small(v) for v in row] for row in grid]
    for r, row in enumerate(hidden):
        if row and row[0]:
            hidden[r] = [True] * len(row)  # in a small group even a 0 tells what the others answered

    def hide_smallest(cells: list[tuple[int, int]]) -> bool:
        visible = [(grid[r][c] == 0, grid[r][c], r, c) for r, c in cells if not hidden[r][c]]
        if not visible:
            return False
        *_, r, c = min(visible)
        hidden[r][c] = True
        return True

    width = len(grid[0]) if grid else 0
    changed = True
    while changed:
        changed = False
        if known_columns:
            for c in range(width):
                column = [(r, c) for r in range(len(grid))]
                if sum(hidden[r][c] for r, _ in column) == 1:
                    changed |= hide_smallest(column)
        if additive_rows:
            for r in range(len(grid)):
                line = [(r, c) for c in range(width)]
                if sum(hidden[r][c] for _, c in line) == 1:
                    changed |= hide_smallest(line[1:]) or hide_smallest(line[:1])
    return hidden


def cross_tab(
    session: Session, survey_id: int, index: int, dimension: str, groups: Sequence[str] = ()
) -> CrossTab:
    """Question ``index`` by age group or area. Rows: every age group (or the areas in ``groups`` and any
    other a respondent had); respondents without a profile are only counted, in ``without_profile``."""
    definition, rows = _load(session, survey_id)
    return _cross_tab(definition, rows, index, dimension, groups)


def _cross_tab(
    definition: SurveyDef, rows: list[SurveyResponseRow], index: int, dimension: str, groups: Sequence[str]
) -> CrossTab:
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    q = definition.questions[index]
    columns = _options(q)
    order = list(AGE_GROUPS) if dimension == "age_group" else list(dict.fromkeys(groups))
    counts: dict[str, list[int]] = {}
    without = 0
    for response in rows:
        value = (response.answers or {}).get(str(index))
        picked = _picked(q, value)
        if not picked:
            continue
        group = getattr(response, dimension)
        if group is None:
            without += 1
            continue
        if group not in order:
            order.append(group)
        tally = counts.setdefault(group, [0] * (len(columns) + 1))
        tally[0] += 1
        for option in picked:
            if option in columns:
                tally[columns.index(option) + 1] += 1
    grid = [counts.get(g, [0] * (len(columns) + 1)) for g in order]
    hidden = suppress(grid, q.kind in ("single", "rating"), known_columns=without == 0)
    shown = [CrossRow(g, *_shown(grid[r], hidden[r])) for r, g in enumerate(order)]
    return CrossTab(index, dimension, columns, shown, SMALL_LABEL if small(without) else without)


def _shown(values: list[int], hidden: list[bool]) -> tuple[Cell, list[Cell]]:
    cells: list[Cell] = [SMALL_LABEL if h else v for v, h in zip(values, hidden, strict=True)]
    return cells[0], cells[1:]


def cross_tabs(
    session: Session, survey_id: int, dimension: str, groups: Sequence[str] = ()
) -> list[CrossTab]:
    """One table per question that has options (free text has none)."""
    definition, rows = _load(session, survey_id)
    return [
        _cross_tab(definition, rows, i, dimension, groups)
        for i, q in enumerate(definition.questions)
        if q.kind != "text"
    ]


# --- exports --------------------------------------------------------------------------------------------


def _answer_text(q: Question, value: object) -> str:
    if value is None:
        return NO_ANSWER
    if q.kind == "multi" and isinstance(value, list):
        return "、".join(str(v) for v in value)
    return mask_pii(str(value)) if q.kind == "text" else str(value)


def response_table(session: Session, survey_id: int) -> tuple[list[str], list[list[Cell]]]:
    """Header and one row per response: number, channel, last answered (city time), completed, answers."""
    definition, rows = _load(session, survey_id)
    header = ["No.", "経路", "回答日時", "すべて回答"] + [
        f"Q{i + 1} {q.text}" for i, q in enumerate(definition.questions)
    ]
    table: list[list[Cell]] = []
    for number, response in enumerate(rows, start=1):
        answers = response.answers or {}
        table.append(
            [
                number,
                "LINE" if response.channel == "line" else "ウェブ",
                to_city_time(response.updated_at).strftime("%Y-%m-%d %H:%M"),
                "はい" if response.completed_at is not None else "いいえ",
                *(
                    _answer_text(q, answers[str(i)]) if str(i) in answers else ""
                    for i, q in enumerate(definition.questions)
                ),
            ]
        )
    return header, table


def summary_table(results: SurveyResults) -> tuple[list[str], list[list[Cell]]]:
    rows: list[list[Cell]] = []
    for r in results.questions:
        for option, n in r.counts:
            rows.append([f"Q{r.index + 1}", r.question.text, option, n])
        if r.mean is not None:
            rows.append([f"Q{r.index + 1}", r.question.text, "平均", round(r.mean, 2)])
        rows.append([f"Q{r.index + 1}", r.question.text, "回答数", r.answered])
    return ["質問", "質問文", "選択肢", "件数"], rows


def crosstab_table(tab: CrossTab, question: Question) -> tuple[list[str], list[list[Cell]]]:
    header = [f"Q{tab.question_index + 1} {question.text}", tab.dimension_label, "回答者数", *tab.columns]
    rows: list[list[Cell]] = [["", r.group, r.respondents, *r.cells] for r in tab.rows]
    rows.append(["", "プロフィールなし", tab.without_profile, *([""] * len(tab.columns))])
    return header, rows


def export_csv(session: Session, survey_id: int) -> str:
    """The responses as CSV text (the caller adds the BOM); every cell formula-safe."""
    header, rows = response_table(session, survey_id)
    return csv_text(header, rows)


def export_xlsx(session: Session, survey_id: int, areas: Sequence[str] = ()) -> bytes:
    """A workbook: 集計 (counts), 回答 (responses), 年代別 and 地区別 (suppressed cross-tabs)."""
    from openpyxl import Workbook

    results = summarize(session, survey_id)
    sheets: list[tuple[str, list[tuple[list[str], list[list[Cell]]]]]] = [
        ("集計", [summary_table(results)]),
        ("回答", [response_table(session, survey_id)]),
    ]
    for dimension, title in (("age_group", "年代別"), ("area", "地区別")):
        tabs = cross_tabs(session, survey_id, dimension, areas)
        qs = [q for q in results.definition.questions if q.kind != "text"]
        sheets.append((title, [crosstab_table(t, q) for t, q in zip(tabs, qs, strict=True)]))
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, tables in sheets:
        sheet = workbook.create_sheet(title)
        for header, rows in tables:
            lines: list[Sequence[Cell]] = [header, *rows, []]
            for line_cells in lines:
                sheet.append([neutralise(v) for v in line_cells])
        for line in sheet.iter_rows():
            for cell in line:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text, never a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
