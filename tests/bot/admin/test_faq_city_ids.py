"""The console with a city's own FAQ file and ids: the Excel export imports as it is, and ids with characters
that mean something in a URL (Q-001, 粗大ごみ-1, A&B?#1%+) work in every link, form and redirect."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from bot.services import services_of
from bot.storage import faq_repo
from tests.support.admin import csrf_of

CITY_FILE = Path(__file__).resolve().parents[2] / "data" / "faq" / "excel_export_sjis.csv"
FORM = {"question": "犬の散歩のマナーは？", "answer": "ふんは持ち帰ってください。", "category": "動物"}


def _import(client, name: str, content: bytes, mode: str = "merge"):  # type: ignore[no-untyped-def]
    return client.post(
        "/admin/faq/io/import",
        data={"csrf_token": csrf_of(client), "mode": mode},
        files={"file": (name, content, "text/csv")},
    )


def test_the_excel_export_imports_in_the_console_with_its_warnings(client_for, admin_app) -> None:
    editor = client_for("editor")
    response = _import(editor, "FAQ一覧.csv", CITY_FILE.read_bytes())
    assert response.status_code == 200, response.text
    assert "新規 5 件" in response.text and "注意 5 件" in response.text
    assert "HTML を文字に直しました" in response.text and "回答(answer)" in response.text
    assert "列「備考」は取り込みません" in response.text
    with services_of(admin_app).factory() as session:
        entry = faq_repo.get_entry(session, "Q-002")
    assert entry is not None and entry.url == "" and "市民課 (tel:0120-000-111)" in entry.answer
    listing = editor.get("/admin/faq").text
    assert 'href="/admin/faq/Q-001"' in listing
    assert "印鑑登録をしたい" in editor.get("/admin/faq/Q-002").text


def test_ids_with_url_characters_work_in_every_link_form_and_redirect(client_for) -> None:
    editor = client_for("editor")
    for faq_id in ("A&B?#1%+", "粗大ごみ-1"):
        page = f"/admin/faq/{quote(faq_id, safe='')}"
        data = {"csrf_token": csrf_of(editor), "id": faq_id, **FORM}
        created = editor.post("/admin/faq/new", data=data, follow_redirects=False)
        assert created.status_code == 303 and created.headers["location"] == f"{page}?saved=1"
        detail = editor.get(page).text
        assert (
            FORM["question"] in detail
            and f'href="{page}/edit"' in detail
            and f'action="{page}/delete"' in detail
        )
        assert f'href="{page}"' in editor.get("/admin/faq").text
        assert f'href="{page}"' in editor.get("/admin/faq/history").text
        edit = editor.get(f"{page}/edit").text
        assert f'action="{page}/edit"' in edit and f'href="{page}"' in edit
        version = edit.split('name="version" value="')[1].split('"')[0]
        changed = {**data, "answer": "ふんは必ず持ち帰ってください。", "version": version}
        updated = editor.post(f"{page}/edit", data=changed, follow_redirects=False)
        assert updated.status_code == 303 and updated.headers["location"] == f"{page}?saved=1"
        assert "必ず持ち帰って" in editor.get(page).text
        deleted = editor.post(f"{page}/delete", data={"csrf_token": csrf_of(editor)}, follow_redirects=False)
        assert deleted.status_code == 303 and deleted.headers["location"] == page


def test_ids_that_would_break_links_are_refused_with_the_fix(client_for) -> None:
    editor = client_for("editor")
    for faq_id, says in (("a/b", "「/」「\\」は使えません"), ("Q 001", "空白を「-」に")):
        data = {"csrf_token": csrf_of(editor), "id": faq_id, **FORM}
        refused = editor.post("/admin/faq/new", data=data, follow_redirects=False)
        assert refused.status_code == 400 and says in refused.text
    bad = "番号,質問,回答\r\na/b,質問,回答\r\nQ 001,質問2,回答2\r\n".encode("cp932")
    response = _import(editor, "faq.csv", bad)
    assert response.status_code == 400 and "2 件の誤り" in response.text
    assert "番号(id)" in response.text and "contains a space" in response.text
