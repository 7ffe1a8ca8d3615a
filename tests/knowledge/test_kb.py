import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from knowledge.kb import (
    FaqEntry,
    active_entries,
    entry_problems,
    id_problem,
    id_url_length,
    is_valid_id,
    is_valid_url,
    japan_today,
    parse_date,
)


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


@pytest.mark.parametrize(
    "faq_id",
    ["Q-001", "F001", "VAC-001", "123", "sodai-gomi_01", "Upper", "粗大ごみ-1", "A&B?#1%+", "あ" * 26],
)
def test_any_id_a_city_uses_is_kept(faq_id: str) -> None:
    assert is_valid_id(faq_id) and id_problem(faq_id) is None


@pytest.mark.parametrize(
    ("faq_id", "says"),
    [
        ("", "空です"),
        ("Q 001", "空白"),
        ("Q\u3000001", "空白"),  # a full-width space, as an IME types it
        ("Q\t001", "空白"),
        ("a/b", "「/」"),
        ("a\\b", "「/」"),
        (".", "使えない文字"),
        ("..", "使えない文字"),
        ("x\x00", "使えない文字"),
        ("a" * 81, "長すぎます"),
        ("あ" * 27, "長すぎます"),  # 243 characters percent-encoded: would not fit a LINE postback
    ],
)
def test_ids_that_break_urls_or_lists_are_refused_with_the_fix(faq_id: str, says: str) -> None:
    message = id_problem(faq_id)
    assert message is not None and says in message and not is_valid_id(faq_id)
    japanese, english = message.split(" / ", 1)
    assert re.search(r"[ぁ-んァ-ン一-龥]", japanese) and re.search(r"[a-z]{4}", english)


def test_id_url_length_is_the_percent_encoded_length() -> None:
    assert id_url_length("Q-001") == 5 and id_url_length("あ") == 9 and id_url_length("a b/c") == 9


def test_url_validation() -> None:
    assert is_valid_url("https://www.city.example.jp/a.html")
    assert not is_valid_url("ftp://example.jp")
    assert not is_valid_url("www.example.jp")


@pytest.mark.parametrize(
    "text",
    ["2022-02-28", "2022/2/28", "2022/02/28", "2022/2/28 0:00", "2022.2.28", "2022年2月28日", "2022-2-28"],
)
def test_dates_as_staff_and_excel_write_them(text: str) -> None:
    assert parse_date(text) == date(2022, 2, 28)


@pytest.mark.parametrize("text", ["2022/2/30", "2022/13/1", "28/2/2022", "2022/2", "令和4年2月28日", "soon"])
def test_dates_that_are_not_days_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_entry_problems_lists_every_field_in_japanese_and_english() -> None:
    bad = FaqEntry(
        "Bad Id", " ", "", url="javascript:alert(1)", valid_from=date(2024, 5, 1), valid_to=date(2024, 4, 1)
    )
    problems = entry_problems(bad)
    assert [f for f, _ in problems] == ["id", "question", "answer", "url", "valid_to"]
    for _, message in problems:
        japanese, english = message.split(" / ", 1)
        assert re.search(r"[ぁ-ん]", japanese) and english.isascii(), message
    assert entry_problems(FaqEntry("ok", "質問", "回答")) == []
    assert entry_problems(FaqEntry("Q-001", "質問", "回答", url="")) == []  # the URL is optional


def test_search_questions_dedupes() -> None:
    entry = FaqEntry("x", "住民票", "a", alt_questions=["住民票", " ", "じゅうみんひょう"])
    assert entry.search_questions() == ["住民票", "じゅうみんひょう"]


def test_default_day_is_the_japan_date_whatever_the_server_zone(far_server_tz) -> None:
    japan = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    assert japan_today() == japan
    only_today = FaqEntry("t", "q", "a", valid_from=japan, valid_to=japan)
    from_tomorrow = FaqEntry("n", "q", "a", valid_from=japan + timedelta(days=1))
    assert only_today.is_active() and not from_tomorrow.is_active()
