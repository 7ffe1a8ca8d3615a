"""Dashboard: server-side SVG charts from real rows and a CSV of every table."""

from __future__ import annotations

from bot.admin import charts
from bot.services import services_of
from bot.storage import conversations
from bot.storage.db import transaction


def test_dashboard_charts_and_csv(client_for, admin_app) -> None:
    with transaction(services_of(admin_app).factory) as session:
        for i in range(6):
            conversations.add_message(session, channel="web", sender=f"s{i}", direction="in", text="住民票")
            conversations.add_message(
                session,
                channel="web",
                sender=f"s{i}",
                direction="out",
                text="答え",
                faq_id="juminhyo" if i < 4 else None,
                fallback=i >= 4,
            )
        conversations.add_feedback(session, channel="web", sender="s1", faq_id="juminhyo", helpful=True)
    viewer = client_for("viewer")
    page = viewer.get("/admin/dashboard?days=7").text
    assert page.count("<svg") >= 4 and "<polyline" in page and "<rect" in page
    assert "67%" in page  # 4 of 6 answered
    assert "住民票の写しはどこで取れますか" in page  # top FAQ table
    daily = viewer.get("/admin/dashboard/daily.csv?days=7")
    assert daily.headers["content-type"].startswith("text/csv")
    lines = daily.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "日付,質問数,回答できた,回答できなかった" and len(lines) == 8
    assert lines[-1].endswith(",6,4,2")
    top = viewer.get("/admin/dashboard/top_faq.csv").content.decode("utf-8-sig")
    assert "juminhyo" in top
    assert viewer.get("/admin/dashboard/nope.csv").status_code == 404


def test_chart_functions_render_valid_svg() -> None:
    import xml.etree.ElementTree as ET

    for svg in (
        charts.bar_chart(["a", "b<"], [1, 3], "t&"),
        charts.line_chart(["1", "2"], {"x": [0, 5]}, "t"),
        charts.ratio_bar({"ok": 3, "ng": 1}, "r"),
        charts.bar_chart([], [], "empty"),
    ):
        root = ET.fromstring(str(svg))
        assert root.tag.endswith("svg")


def test_the_dashboard_csv_runs_no_resident_formula(client_for, admin_app) -> None:
    """Issue 17, item 1: the most frequent unanswered question is a resident's words, written as text."""
    with transaction(services_of(admin_app).factory) as session:
        conversations.log_unanswered(
            session, text="-1+1 のごみ", channel="web", sender="s", reason="unknown", candidates=[]
        )
    text = client_for("viewer").get("/admin/dashboard/top_unanswered.csv").content.decode("utf-8-sig")
    assert text.splitlines()[1].startswith("'-1+1 のごみ,1,")
