"""The FAQ edit form (bot/admin/faq_forms.py): what staff typed becomes a `FaqEntry` or Japanese messages per
field, an entry becomes a form and back unchanged, new ids are dated by the city's day, history diffs are
character-level."""

from __future__ import annotations

from datetime import date, datetime

from bot.admin.faq_forms import (
    LABELS,
    LINE_TEXT_LIMIT,
    TEXT_FIELDS,
    FaqForm,
    entry_changes,
    new_id,
    split_lines,
    split_words,
    text_diff,
)
from bot.storage import faq_repo
from knowledge.clock import CityClock
from knowledge.kb import FaqEntry, is_valid_id

FULL = FaqEntry(
    id="juminhyo",
    question="住民票の写しはどこで取れますか",
    answer="市民課の窓口かコンビニで取れます。",
    category="証明書",
    department="市民課",
    url="https://www.city.midorino.example/juminhyo",
    alt_questions=["住民票がほしい", "住民票の取り方"],
    keywords=["住民票", "写し"],
    answer_en="At the Citizens Division or a convenience store.",
    answer_easy="しみんか で とれます。",
    valid_from=date(2027, 4, 1),
    valid_to=date(2028, 3, 31),
)


def test_an_entry_survives_the_form_unchanged() -> None:
    form = FaqForm.from_entry(FULL)
    assert form.alt_questions == "住民票がほしい\n住民票の取り方" and form.keywords == "住民票、写し"
    assert form.valid_from == "2027-04-01"
    assert form.to_entry() == FULL and form.errors == {}
    typed = {name: getattr(form, name) for name in TEXT_FIELDS}
    assert FaqForm.from_form(typed).to_entry() == FULL


def test_what_was_typed_is_cleaned_up() -> None:
    form = FaqForm.from_form(
        {
            "id": " passport ",
            "question": " パスポートの申請 ",
            "answer": "県の窓口です。\n",
            "alt_questions": "旅券\n\n 旅券 \nパスポート作りたい\n",
            "keywords": "旅券, パスポート、旅券，海外|渡航",
            "valid_from": "",
            "unknown_field": "ignored",
            "url": ["not", "text"],  # a repeated form field: not a string, treated as empty
        }
    )
    entry = form.to_entry()
    assert entry is not None
    assert (entry.id, entry.question, entry.answer, entry.url) == (
        "passport",
        "パスポートの申請",
        "県の窓口です。",
        "",
    )
    assert entry.alt_questions == ["旅券", "パスポート作りたい"]
    assert entry.keywords == ["旅券", "パスポート", "海外", "渡航"]
    assert entry.valid_from is None and entry.valid_to is None


def test_problems_come_back_as_japanese_messages_per_field() -> None:
    form = FaqForm(
        id="Bad ID",
        question=" ",
        answer="",
        url="ftp://example",
        valid_from="2027-04-01",
        valid_to="2027-03-31",
    )
    assert form.to_entry() is None
    assert set(form.errors) == {"id", "question", "answer", "url", "valid_to"}
    assert "空白を「-」に" in form.errors["id"] and "質問を入力" in form.errors["question"]
    assert " / " not in form.errors["id"]  # the console shows the Japanese half of knowledge's message
    assert "http:// または https://" in form.errors["url"] and "開始日より前" in form.errors["valid_to"]
    assert form.url == "ftp://example"  # the refused form keeps what was typed


def test_a_date_must_be_a_day() -> None:
    form = FaqForm(id="x", question="q", answer="a", valid_from="2027/02/30", valid_to="来年")
    assert form.to_entry() is None
    assert form.errors == {
        "valid_from": "日付は 2024-04-01 か 2024/4/1 の形で入力してください。",
        "valid_to": "日付は 2024-04-01 か 2024/4/1 の形で入力してください。",
    }
    written = FaqForm(id="Q-001", question="q", answer="a", valid_from="2027/4/1").to_entry()
    assert written is not None and written.valid_from == date(2027, 4, 1) and written.id == "Q-001"


def test_every_answer_must_fit_one_line_message() -> None:
    fits = FaqForm(id="x", question="q", answer="あ" * LINE_TEXT_LIMIT)
    assert fits.to_entry() is not None
    for name in ("answer", "answer_en", "answer_easy"):
        form = FaqForm(id="x", question="q", answer="a")
        setattr(form, name, "あ" * (LINE_TEXT_LIMIT + 1))
        assert form.to_entry() is None
        assert form.errors[name] == "LINE で送れるのは 5,000 文字までです(現在 5,001 文字)。"


def test_a_second_submit_clears_the_old_messages() -> None:
    form = FaqForm(id="x", question="", answer="a")
    assert form.to_entry() is None and "question" in form.errors
    form.question = "q"
    assert form.to_entry() is not None and form.errors == {}


def test_split_helpers_keep_order_and_drop_blanks_and_repeats() -> None:
    assert split_lines("b\r\n a \n\nb\na") == ["b", "a"]
    assert split_words("a,b、c，d|e\nf, a") == ["a", "b", "c", "d", "e", "f"]
    assert split_lines("") == split_words(" , 、") == []


def test_a_new_id_is_dated_by_the_city_day(far_server_tz: str) -> None:
    city_new_year = CityClock(datetime(2027, 1, 1, 0, 30))  # 15:30 UTC on 31 December
    ids = {new_id(city_new_year.today()) for _ in range(20)}
    assert len(ids) == 20  # a random suffix: never the same twice
    assert all(i.startswith("faq-20270101-") and is_valid_id(i) for i in ids)


def test_text_diff_is_character_level() -> None:
    assert text_diff("市民課の窓口", "市民課の窓口") == [("equal", "市民課の窓口")]
    assert text_diff("市民課の窓口です", "戸籍課の窓口です") == [
        ("delete", "市民"),
        ("insert", "戸籍"),
        ("equal", "課の窓口です"),
    ]
    assert text_diff("", "新しい") == [("insert", "新しい")]
    assert text_diff("古い", "") == [("delete", "古い")]


def test_entry_changes_lists_changed_fields_in_form_order() -> None:
    before = faq_repo.entry_dict(FULL)
    after = {
        **before,
        "answer": "市民課の窓口で取れます。",
        "keywords": ["住民票"],
        "valid_to": None,
        "id": "juminhyo",
    }
    changes = entry_changes(before, after)
    assert [(c.name, c.label) for c in changes] == [
        ("answer", "回答"),
        ("keywords", "キーワード"),
        ("valid_to", "掲載終了日"),
    ]
    assert changes[1].segments == [("equal", "住民票"), ("delete", "\n写し")]
    created = entry_changes(None, before)
    assert [c.name for c in created] == [name for name in LABELS if before.get(name)]
    assert [c.name for c in entry_changes(before, None)] == [c.name for c in created]  # a deletion
    assert entry_changes(before, dict(before)) == []
