"""Results: counts, masked free text, cross-tabs with small cells suppressed, formula-safe exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from bot.storage.db import transaction
from bot.storage.profiles import delete_profile, set_profile
from bot.surveys import results, service
from bot.surveys.definition import parse_definition
from bot.surveys.results import SMALL_LABEL, cross_tab, suppress

NOW = datetime.now(UTC)


def survey(factory, anonymous: bool = True) -> int:  # type: ignore[no-untyped-def]
    definition = parse_definition(
        {
            "title": "窓口アンケート",
            "intro": "",
            "opens_at": (NOW - timedelta(days=1)).isoformat(),
            "closes_at": (NOW + timedelta(days=1)).isoformat(),
            "anonymous": anonymous,
            "questions": [
                {"kind": "single", "text": "窓口は分かりやすいですか", "choices": ["はい", "いいえ"]},
                {"kind": "multi", "text": "使った窓口", "choices": ["本庁", "支所", "出張所"]},
                {"kind": "rating", "text": "満足度"},
                {"kind": "text", "text": "ご意見", "required": False},
            ],
        }
    )
    with transaction(factory) as session:
        row = service.create_survey(session, definition, "editor")
        service.publish(session, row.id, "editor")
        return row.id


def answer(factory, survey_id: int, sender: str, age: str | None, values: dict) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        if age:
            set_profile(session, sender, age_group=age, area="中央地区")
        service.submit(session, survey_id, sender, values, "line", NOW)


def test_four_respondents_in_a_cell_show_5_miman_and_a_deleted_profile_leaves(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = survey(factory)
    for n in range(5):
        answer(factory, survey_id, f"line-30s-{n}", "30代", {0: "はい", 1: ["本庁"], 2: 4})
    for n in range(4):
        answer(factory, survey_id, f"line-40s-{n}", "40代", {0: "はい", 1: ["本庁"], 2: 4})
    for n in range(6):
        answer(factory, survey_id, f"line-50s-{n}", "50代", {0: "いいえ", 1: ["支所"], 2: 2})
    answer(factory, survey_id, "web-none", None, {0: "はい", 1: ["本庁"], 2: 5})
    with factory() as session:
        tab = cross_tab(session, survey_id, 0, "age_group")
    rows = {r.group: r for r in tab.rows}
    assert rows["40代"].respondents == SMALL_LABEL and rows["40代"].cells == [SMALL_LABEL, SMALL_LABEL]
    assert rows["30代"].respondents == 5 and rows["30代"].cells[0] == 5
    assert rows["50代"].respondents == 6 and rows["50代"].cells[1] == 6
    assert rows["20代"].respondents == 0  # nobody is no one to single out
    assert tab.without_profile == SMALL_LABEL

    with transaction(factory) as session:
        assert delete_profile(session, "line-30s-0")
    with factory() as session:
        tab = cross_tab(session, survey_id, 0, "age_group")
        area = cross_tab(session, survey_id, 0, "area", ["中央地区", "駅前地区"])
        summary = results.summarize(session, survey_id)
    rows = {r.group: r for r in tab.rows}
    assert rows["30代"].respondents == SMALL_LABEL and rows["30代"].cells[0] == SMALL_LABEL
    assert [r.group for r in area.rows] == ["中央地区", "駅前地区"]
    assert area.rows[0].respondents == 14  # 4 + 4 + 6: the deleted profile is gone from every table
    assert summary.questions[0].counts == [("はい", 10), ("いいえ", 6)]  # the answers themselves stay


def test_a_lone_hidden_cell_is_not_left_to_subtraction() -> None:
    # one group of 7: 5 said yes, 2 said no. Hiding only the 2 would leave it as 7 - 5.
    grid = [[7, 5, 2], [12, 6, 6]]
    assert suppress(grid, additive_rows=True, known_columns=False) == [[False, True, True], [False] * 3]
    # when the column totals are known too, the other group's counts are hidden as well
    hidden = suppress(grid, additive_rows=True, known_columns=True)
    for c in range(3):
        assert sum(row[c] for row in hidden) != 1
    for r in range(2):
        assert sum(hidden[r]) != 1
    # a multiple-choice row does not add up: only the small cell goes
    assert suppress([[7, 5, 2]], additive_rows=False, known_columns=False) == [[False, False, True]]


def test_counts_rating_mean_and_masked_free_text(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = survey(factory, anonymous=False)
    answer(
        factory,
        survey_id,
        "line-a",
        None,
        {0: "はい", 1: ["本庁", "支所"], 2: 5, 3: "電話 090-1234-5678 まで"},
    )
    answer(factory, survey_id, "line-b", None, {0: "いいえ", 1: ["支所"], 2: 2})
    with factory() as session:
        summary = results.summarize(session, survey_id)
    q = summary.questions
    assert (summary.respondents, summary.completed) == (2, 2)
    assert q[1].counts == [("本庁", 1), ("支所", 2), ("出張所", 0)]
    assert q[2].counts == [("1", 0), ("2", 1), ("3", 0), ("4", 0), ("5", 1)] and q[2].mean == 3.5
    assert q[3].texts == ["電話 [電話番号] まで"] and (q[3].answered, q[3].skipped) == (1, 1)


def test_exports_are_formula_safe_masked_and_carry_no_pseudonym(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = survey(factory, anonymous=False)
    evil = '=HYPERLINK("https://evil.example/","詳細")'
    answer(factory, survey_id, "line-secret-key", "30代", {0: "はい", 1: ["本庁"], 2: 3, 3: evil})
    with factory() as session:
        text = results.export_csv(session, survey_id)
        workbook = results.export_xlsx(session, survey_id, ["中央地区"])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["No.", "経路", "回答日時", "すべて回答"]
    assert rows[1][-1] == "'" + evil and rows[1][1] == "LINE"
    assert "line-secret-key" not in text and "30代" not in text
    book = load_workbook(io.BytesIO(workbook))
    assert book.sheetnames == ["集計", "回答", "年代別", "地区別"]
    cells = [c.value for row in book["回答"].iter_rows() for c in row]
    assert "'" + evil in cells and "line-secret-key" not in cells
    assert SMALL_LABEL in [c.value for row in book["年代別"].iter_rows() for c in row]
