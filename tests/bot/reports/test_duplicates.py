"""bot.reports.duplicates: the distance, and which open report of the same category counts as the same one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.reports.duplicates import distance_m
from bot.storage.reports import Report
from tests.support.reports import BASE, NOW, draft, north, submit


@pytest.mark.parametrize(
    ("category", "metres", "expected"),
    [
        ("road_damage", 20, True),
        ("road_damage", 40, False),
        ("illegal_dumping", 45, True),
        ("illegal_dumping", 60, False),
        ("fallen_tree", 90, True),
        ("fallen_tree", 120, False),
    ],
)
def test_duplicate_radius_per_category(factory, category: str, metres: float, expected: bool) -> None:  # type: ignore[no-untyped-def]
    assert abs(distance_m(*BASE, *north(metres)) - metres) < 0.5
    first = submit(factory, draft(category))
    second = submit(
        factory,
        draft(category, north(metres), resident_key="web-other", channel="web"),
        NOW + timedelta(days=3),
    )
    assert (second.probable_duplicate_of == first.case_number) is expected
    with factory() as session:
        flagged = session.get(Report, second.report_id).probable_duplicate_of
        assert (flagged == first.report_id) is expected


def test_duplicates_ignore_other_categories_closed_and_old_reports(factory) -> None:  # type: ignore[no-untyped-def]
    old = submit(factory, draft(), NOW - timedelta(days=31))
    assert submit(factory, draft("street_light")).probable_duplicate_of is None
    assert submit(factory, draft()).probable_duplicate_of is None  # only the 31-day-old one is near
    fresh = submit(factory, draft(where=north(10)))
    assert fresh.probable_duplicate_of is not None and fresh.probable_duplicate_of != old.case_number
    with factory() as session:
        for report in session.query(Report).filter(Report.category == "road_damage"):
            if report.status == "受付":
                report.status = "対応済み"
        session.commit()
    assert submit(factory, draft(where=north(5))).probable_duplicate_of is None
    assert submit(factory, draft(where=None)).probable_duplicate_of is None
