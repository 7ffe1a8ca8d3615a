from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from knowledge.kb import FaqEntry, active_entries, entry_problems, is_valid_id, is_valid_url, japan_today


def test_is_active_respects_both_bounds() -> None:
    entry = FaqEntry("a", "q", "a", valid_from=date(2024, 4, 1), valid_to=date(2024, 4, 30))
    assert not entry.is_active(date(2024, 3, 31))
    assert entry.is_active(date(2024, 4, 1))
    assert entry.is_active(date(2024, 4, 30))
    assert not entry.is_active(date(2024, 5, 1))
    assert FaqEntry("b", "q", "a").is_active(date(1999, 1, 1))


def test_active_entries_filters() -> None:
    old = FaqEntry("old", "q", "a", valid_to=date(2020, 1, 1))
    now = FaqEntry("now", "q", "a")
    assert active_entries([old, now], date(2024, 1, 1)) == [now]


def test_id_and_url_validation() -> None:
    assert is_valid_id("sodai-gomi_01")
    assert not is_valid_id("粗大ごみ")
    assert not is_valid_id("Upper")
    assert not is_valid_id("")
    assert is_valid_url("https://www.city.example.jp/a.html")
    assert not is_valid_url("ftp://example.jp")
    assert not is_valid_url("www.example.jp")


def test_entry_problems_lists_every_field() -> None:
    bad = FaqEntry(
        "Bad Id", " ", "", url="javascript:alert(1)", valid_from=date(2024, 5, 1), valid_to=date(2024, 4, 1)
    )
    fields = [f for f, _ in entry_problems(bad)]
    assert fields == ["id", "question", "answer", "url", "valid_to"]
    assert entry_problems(FaqEntry("ok", "質問", "回答")) == []


def test_search_questions_dedupes() -> None:
    entry = FaqEntry("x", "住民票", "a", alt_questions=["住民票", " ", "じゅうみんひょう"])
    assert entry.search_questions() == ["住民票", "じゅうみんひょう"]


def test_default_day_is_the_japan_date_whatever_the_server_zone(far_server_tz) -> None:
    japan = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    assert japan_today() == japan
    only_today = FaqEntry("t", "q", "a", valid_from=japan, valid_to=japan)
    from_tomorrow = FaqEntry("n", "q", "a", valid_from=japan + timedelta(days=1))
    assert only_today.is_active() and not from_tomorrow.is_active()
