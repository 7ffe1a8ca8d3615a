"""The survey builder in the console: built without JavaScript, previewed, published, locked once answered
(a new version instead), every change audited; who may see and do what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import select

from bot.services import services_of
from bot.storage.accounts import AuditLog
from bot.storage.db import transaction
from bot.surveys import service
from knowledge.clock import CITY_TZ
from tests.support.admin import csrf_of

NOW = datetime.now(UTC)


def form(token: str, action: str = "save", **over: str) -> dict[str, str]:
    data = {
        "csrf_token": token,
        "action": action,
        "title": "窓口アンケート",
        "intro": "窓口の感想を教えてください。",
        "opens_at": (NOW - timedelta(days=1)).astimezone(CITY_TZ).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (NOW + timedelta(days=7)).astimezone(CITY_TZ).strftime("%Y-%m-%dT%H:%M"),
        "anonymous": "1",
        "question_count": "2",
        "q0.kind": "single",
        "q0.text": "窓口は分かりやすかったですか",
        "q0.choices": "はい\r\nいいえ",
        "q0.required": "1",
        "q1.kind": "text",
        "q1.text": "ご意見",
        "q1.choices": "",
    }
    data.update(over)
    return data


def created_id(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text[:500]
    return int(response.headers["location"].split("/")[-1].split("?")[0])


def test_an_editor_builds_previews_and_publishes_without_javascript(client_for) -> None:  # type: ignore[no-untyped-def]
    editor = client_for("editor")
    page = editor.get("/admin/surveys/new")
    assert page.status_code == 200 and 'name="q0.kind"' in page.text
    token = csrf_of(editor, "/admin/surveys/new")
    added = editor.post("/admin/surveys/new", data=form(token, "add"))
    assert (
        added.status_code == 200
        and 'name="q2.kind"' in added.text
        and "窓口は分かりやすかったですか" in added.text
    )
    moved = editor.post("/admin/surveys/new", data=form(token, "down:0"))
    assert moved.text.index('value="ご意見"') < moved.text.index('value="窓口は分かりやすかったですか"')
    preview = editor.post("/admin/surveys/new", data=form(token, "preview"))
    assert "プレビュー(住民に見える形)" in preview.text and '<span class="chip">はい</span>' in preview.text

    bad = editor.post("/admin/surveys/new", data=form(token, **{"q0.choices": "はい"}))
    assert bad.status_code == 400 and "質問1の選択肢は2〜10個" in bad.text
    assert 'value="窓口アンケート"' in bad.text  # nothing typed is lost

    survey_id = created_id(editor.post("/admin/surveys/new", data=form(token), follow_redirects=False))
    detail = editor.get(f"/admin/surveys/{survey_id}")
    assert "下書き" in detail.text and "公開する" in detail.text
    published = editor.post(f"/admin/surveys/{survey_id}/publish", data={"csrf_token": token})
    assert published.status_code == 200 and "公開しました" in published.text
    listing = editor.get("/admin/surveys")
    assert "窓口アンケート" in listing.text and "公開中" in listing.text and ">アンケート</a>" in listing.text


def test_answers_lock_editing_and_a_new_version_is_made(client_for, admin_app: FastAPI) -> None:  # type: ignore[no-untyped-def]
    editor = client_for("editor")
    token = csrf_of(editor, "/admin/surveys")
    survey_id = created_id(editor.post("/admin/surveys/new", data=form(token), follow_redirects=False))
    editor.post(f"/admin/surveys/{survey_id}/publish", data={"csrf_token": token})
    factory = services_of(admin_app).factory
    with transaction(factory) as session:
        service.save_answer(session, survey_id, "line-a", 0, "はい", "line", NOW)
    detail = editor.get(f"/admin/surveys/{survey_id}")
    assert "新しい版を作る" in detail.text and "編集する" not in detail.text
    locked = editor.get(f"/admin/surveys/{survey_id}/edit")
    assert locked.url.path == f"/admin/surveys/{survey_id}" and "この版は編集できません" in locked.text
    refused = editor.post(f"/admin/surveys/{survey_id}/edit", data=form(token, title="変えた題"))
    assert (
        refused.status_code == 409 and "新しい版を作る" in refused.text and 'value="変えた題"' in refused.text
    )
    made = editor.post(
        f"/admin/surveys/{survey_id}/new-version", data={"csrf_token": token}, follow_redirects=False
    )
    copy_id = created_id(made)
    assert copy_id != survey_id
    saved = editor.post(
        f"/admin/surveys/{copy_id}/edit", data=form(token, title="第2版の題"), follow_redirects=False
    )
    assert saved.status_code == 303
    editor.post(f"/admin/surveys/{copy_id}/publish", data={"csrf_token": token})
    with factory() as session:
        assert service.get_survey(session, survey_id).status == "closed"
        assert service.get_survey(session, copy_id).title == "第2版の題"
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.action.startswith("survey.")).order_by(AuditLog.id)
        ).all()
    assert actions == [
        "survey.create",
        "survey.publish",
        "survey.new_version",
        "survey.update",
        "survey.close",
        "survey.publish",
    ]


def test_roles(client_for) -> None:  # type: ignore[no-untyped-def]
    editor = client_for("editor")
    token = csrf_of(editor, "/admin/surveys")
    survey_id = created_id(editor.post("/admin/surveys/new", data=form(token), follow_redirects=False))
    viewer = client_for("viewer")
    assert viewer.get("/admin/surveys").status_code == 200
    assert viewer.get(f"/admin/surveys/{survey_id}/results").status_code == 200
    assert "公開する" not in viewer.get(f"/admin/surveys/{survey_id}").text
    assert viewer.get("/admin/surveys/new").status_code == 403
    assert viewer.get(f"/admin/surveys/{survey_id}/send").status_code == 403
    viewer_token = csrf_of(viewer, "/admin/surveys")
    assert (
        viewer.post(f"/admin/surveys/{survey_id}/publish", data={"csrf_token": viewer_token}).status_code
        == 403
    )
    handler = client_for("report_handler")
    assert handler.get("/admin/surveys").status_code == 403
    assert ">アンケート</a>" not in handler.get("/admin/reports").text
    assert editor.get("/admin/surveys/999999").status_code == 404


def test_sending_without_line_configured_says_so(client_for) -> None:  # type: ignore[no-untyped-def]
    editor = client_for("editor")
    token = csrf_of(editor, "/admin/surveys")
    survey_id = created_id(editor.post("/admin/surveys/new", data=form(token), follow_redirects=False))
    editor.post(f"/admin/surveys/{survey_id}/publish", data={"csrf_token": token})
    plan = editor.get(f"/admin/surveys/{survey_id}/send?kind=all")
    assert '<strong class="recipients">0人</strong>' in plan.text
    refused = editor.post(
        f"/admin/surveys/{survey_id}/send", data={"csrf_token": token, "kind": "all", "action": "dry_run"}
    )
    assert refused.status_code == 400 and "チャネルアクセストークンが設定されていない" in refused.text
    draft = created_id(editor.post("/admin/surveys/new", data=form(token), follow_redirects=False))
    not_open = editor.get(f"/admin/surveys/{draft}/send?kind=all")
    assert not_open.status_code == 400 and "公開中で回答期間内のアンケートだけ" in not_open.text
