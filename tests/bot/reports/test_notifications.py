"""bot.reports.notifications: the resident's message, the LINE notifier, and the resend of pending pushes with
the same retry key."""

from __future__ import annotations

from pathlib import Path

from bot.messages import Messages
from bot.reports.notifications import (
    LinePushNotifier,
    retry_pending_notifications,
    status_message,
    wording_of,
)
from bot.reports.service import change_status
from bot.settings import load_settings
from bot.storage import line_inbox
from bot.storage.db import transaction
from channels.line.fake import FakeLine
from tests.support.line import line_settings
from tests.support.reports import CATEGORIES, FakeNotifier, draft, submit

USER = "U" + "e" * 32
RESIDENT_KEY = "line-" + "e" * 32


def test_status_message_names_the_case_the_reason_and_the_other_case() -> None:
    done = status_message("R-2025-000007", "対応済み", category_label="道路の穴・損傷")
    assert done.startswith("道路の穴・損傷の通報(受付番号 R-2025-000007)について、対応が完了しました。")
    assert "理由: 私有地" in status_message("R-2025-000007", "対象外", "私有地")
    assert "担当課より: 明日伺います" in status_message("R-2025-000007", "確認中", "明日伺います")
    assert "受付番号 R-2025-000001)をすでに" in status_message(
        "R-2025-000007", "重複", duplicate_case="R-2025-000001"
    )
    assert "「保留」" in status_message("R-2025-000007", "保留")


def test_failed_push_is_retried_with_the_same_key(factory) -> None:  # type: ignore[no-untyped-def]
    rid = submit(factory, draft()).report_id
    broken = FakeNotifier(ok=False)
    event = change_status(factory, rid, "確認中", actor="x", note="確認します", notifier=broken)
    assert event.notified_at is None  # the status change itself stands
    working = FakeNotifier()
    assert retry_pending_notifications(factory, working, CATEGORIES) == 1
    assert working.calls[0][2] == broken.calls[0][2] == f"report-{rid}-{event.id}"
    assert "道路の穴・損傷" in working.calls[0][1][0] and "担当課より: 確認します" in working.calls[0][1][0]
    assert retry_pending_notifications(factory, working, CATEGORIES) == 0


def test_only_line_reports_are_resent(factory) -> None:  # type: ignore[no-untyped-def]
    rid = submit(factory, draft(resident_key="web-x", channel="web")).report_id
    change_status(factory, rid, "確認中", actor="x")
    assert retry_pending_notifications(factory, FakeNotifier()) == 0


def test_line_notifier_pushes_to_a_followed_resident(factory, fake_line: FakeLine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        line_inbox.remember_user(session, RESIDENT_KEY, USER, follow=True)
    notifier = LinePushNotifier(factory, line_settings(tmp_path, fake_line))
    assert notifier.notify(RESIDENT_KEY, ["対応が完了しました。"], "report-1-2") is True
    assert fake_line.wait_for(lambda f: len(f.delivered) == 1, 5)
    assert fake_line.delivered[0]["to"] == USER


def test_line_notifier_counts_a_resident_it_cannot_reach_as_done(factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    unconfigured = load_settings(data_dir=tmp_path / "var", env="test")  # no LINE access token
    notifier = LinePushNotifier(factory, unconfigured)
    assert notifier.notify("line-unknown", ["x"], "report-1-2") is True  # nothing left to retry
    assert notifier.notify("web-abc", ["x"], "report-1-3") is True


def test_a_city_rewords_the_status_pushes(factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "messages.yml"
    path.write_text(
        'report_status_checking: "現地を見に行っています"\nreport_footer: "お問い合わせは窓口へ。"\n',
        encoding="utf-8",
    )
    wording = Messages.load(path)
    rid = submit(factory, draft()).report_id
    change_status(factory, rid, "確認中", actor="x", notifier=FakeNotifier(ok=False))
    working = FakeNotifier()
    assert wording_of(working) is None  # a notifier that is not LINE's writes the shipped wording
    assert retry_pending_notifications(factory, working, CATEGORIES, wording=wording) == 1
    [pushed] = working.calls[0][1]
    assert "について、現地を見に行っています。" in pushed and pushed.endswith("お問い合わせは窓口へ。")
