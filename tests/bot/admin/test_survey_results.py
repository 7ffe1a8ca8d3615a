"""The results page and exports: charts, masked free text, 「5未満」 in the cross-tab, formula-safe files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import select

from bot.services import services_of
from bot.storage.accounts import AuditLog
from bot.storage.db import transaction
from bot.storage.profiles import set_profile
from bot.surveys import service
from bot.surveys.definition import parse_definition

NOW = datetime.now(UTC)
EVIL = "=1+1 連絡は 090-1234-5678 へ"


def seeded(admin_app: FastAPI) -> int:
    definition = parse_definition(
        {
            "title": "窓口アンケート",
            "intro": "",
            "opens_at": (NOW - timedelta(days=1)).isoformat(),
            "closes_at": (NOW + timedelta(days=1)).isoformat(),
            "anonymous": True,
            "questions": [
                {"kind": "single", "text": "分かりやすかったですか", "choices": ["はい", "いいえ"]},
                {"kind": "rating", "text": "満足度"},
                {"kind": "text", "text": "ご意見", "required": False},
            ],
        }
    )
    factory = services_of(admin_app).factory
    with transaction(factory) as session:
        survey_id = service.create_survey(session, definition, "editor").id
        service.publish(session, survey_id, "editor")
    for n in range(9):
        sender, age = f"line-{n}", "30代" if n < 5 else "40代"
        with transaction(factory) as session:
            set_profile(session, sender, age_group=age, area="中央地区")
            text = EVIL if n == 0 else ""
            service.submit(session, survey_id, sender, {0: "はい", 1: 4, 2: text}, "line", NOW)
    with transaction(factory) as session:  # one without a profile: the age groups' total is not known
        service.submit(session, survey_id, "web-x", {0: "いいえ", 1: 2}, "web", NOW)
    return survey_id


def test_results_page_charts_masks_and_suppresses(client_for, admin_app: FastAPI) -> None:  # type: ignore[no-untyped-def]
    survey_id = seeded(admin_app)
    viewer = client_for("viewer")
    page = viewer.get(f"/admin/surveys/{survey_id}/results")
    assert page.status_code == 200
    assert "回答者 10人" in page.text and page.text.count("<svg") >= 2
    assert "[電話番号]" in page.text and "090-1234-5678" not in page.text
    assert '<th scope="row">40代</th><td class="num">5未満</td>' in page.text
    assert '<th scope="row">30代</th><td class="num">5</td>' in page.text
    by_area = viewer.get(f"/admin/surveys/{survey_id}/results?by=area")
    assert '<th scope="row">中央地区</th><td class="num">9</td>' in by_area.text


def test_exports_are_formula_safe_and_audited(client_for, admin_app: FastAPI) -> None:  # type: ignore[no-untyped-def]
    survey_id = seeded(admin_app)
    editor = client_for("editor")
    response = editor.get(f"/admin/surveys/{survey_id}/results.csv")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][-1] == "'=1+1 連絡は [電話番号] へ"
    assert len(rows) == 11 and not any("line-" in cell for row in rows for cell in row)
    book = editor.get(f"/admin/surveys/{survey_id}/results.xlsx")
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(book.content))["年代別"]
    assert "5未満" in [c.value for row in sheet.iter_rows() for c in row]
    assert editor.get(f"/admin/surveys/{survey_id}/results.pdf").status_code == 404
    with services_of(admin_app).factory() as session:
        exports = session.scalars(select(AuditLog.detail).where(AuditLog.action == "survey.export")).all()
    assert exports == [{"format": "csv"}, {"format": "xlsx"}]
