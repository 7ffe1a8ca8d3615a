"""`action_holiday_clinic` against the demo roster."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from actions.clinics import ActionHolidayClinic
from knowledge.clinics import ClinicRoster
from knowledge.kb import FaqEntry
from tests.support.citydata import make_env, metas, responses, sure_of


def test_next_sunday_lists_only_that_day(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 9, 16, 20, 0))  # a Wednesday evening
    roster = ClinicRoster.load(env.settings.city_data_dir / "clinics.csv")
    sunday = roster.on(datetime(2026, 9, 20).date())
    others = {c.name for d in roster.days() if d != sunday[0].day for c in roster.on(d)} - {
        c.name for c in sunday
    }
    text, messages, _ = env.run(ActionHolidayClinic(env.rt), "今度の日曜の当番医は？")
    assert "9月20日（日）の休日当番医です" in text
    for clinic in sunday:
        assert clinic.name in text and clinic.phone in text
    assert not any(name in text for name in others)
    assert "#7119" in text and "#8000" in text and "119番" in text
    assert metas(messages)[0]["kind"] == "clinic" and responses(messages) == ["utter_clinic_day"]
    assert messages[0]["day"] == "9月20日（日）" and messages[0]["emergency"] == "119"


def test_finished_duty_is_not_offered(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 9, 20, 18, 0))  # Sunday, after every duty ended
    text, messages, _ = env.run(ActionHolidayClinic(env.rt), "今日の当番医")
    assert "受付時間は終了しました" in text and responses(messages) == ["utter_clinic_day_closed_next"]
    assert "次の当番医は9月21日（月）です" in text  # 敬老の日


def test_weekday_has_no_duty(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 9, 16, 9, 0))
    text, messages, _ = env.run(ActionHolidayClinic(env.rt), "明日やってる休日当番医")
    assert "9月17日（木）は休日当番医の指定がありません" in text
    assert (
        responses(messages) == ["utter_clinic_day_none_next"] and messages[0]["next_day"] == "9月20日（日）"
    )
    assert "次の当番医は9月20日（日）です" in text


def test_year_end_lists_every_day(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 12, 1, 9, 0))
    text, messages, _ = env.run(ActionHolidayClinic(env.rt), "年末年始の当番医")
    assert responses(messages) == ["utter_clinic_period"]
    for day in ("12月29日（火）", "12月31日（木）", "1月1日（金）", "1月3日（日）"):
        assert f"【{day}】" in text


# --- the FAQ's turn: no day asked about ------------------------------------------------------------------------

NIGHT = FaqEntry(
    id="iryo-005",
    question="夜間や休日に急病になったらどうすればいいですか？",
    answer="夜間は急患センター（午後7時〜11時）へ。休日は当番医をご利用ください。",
)


def test_no_day_and_a_sure_faq_answers_from_the_faq(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 9, 16, 20, 0), searcher=sure_of(NIGHT))
    text, messages, events = env.run(ActionHolidayClinic(env.rt), "夜に子どもが熱を出したら病院は？")
    assert text == NIGHT.answer and events == []
    assert metas(messages) == [{"faq_id": "iryo-005", "kind": "faq"}]


def test_no_day_and_a_torn_faq_gives_its_close_entries_and_the_next_duty_day(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 9, 16, 20, 0), searcher=sure_of(NIGHT, "choose"))
    text, messages, _ = env.run(ActionHolidayClinic(env.rt), "休日当番医は？")
    assert "9月20日（日）の休日当番医です" in text and metas(messages)[-1]["kind"] == "clinic"
    assert text.startswith("市の「よくある質問」に、関係がありそうなものがあります。")
    assert metas(messages)[0] == {"candidates": ["iryo-005", "other-001"], "kind": "choose"}


def test_a_day_in_a_message_that_names_nothing_medical_is_the_faqs(tmp_path: Path) -> None:
    """「平日は役場に行けないんだけど、土日やってる？」 came to the clinic intent: the roster of Saturday is not it."""
    for decision in ("answer", "choose"):
        env = make_env(tmp_path, datetime(2026, 9, 16, 20, 0), searcher=sure_of(NIGHT, decision))
        text, messages, _ = env.run(
            ActionHolidayClinic(env.rt), "平日は役場に行けないんだけど、土日やってる？"
        )
        assert "休日当番医です" not in text
        assert metas(messages)[-1]["kind"] == ("faq" if decision == "answer" else "choose")
    # a day and a medical word: that day's roster, after the FAQ's close entries or sure answer
    for decision, first in (("choose", "choose"), ("answer", "faq"), ("unknown", "clinic")):
        env = make_env(tmp_path, datetime(2026, 9, 16, 20, 0), searcher=sure_of(NIGHT, decision))
        text, messages, _ = env.run(ActionHolidayClinic(env.rt), "日曜に熱が出たら開いてる病院は？")
        assert "9月20日（日）の休日当番医です" in text
        assert metas(messages)[0]["kind"] == first and metas(messages)[-1]["kind"] == "clinic"


def test_no_day_no_duty_ahead_and_a_torn_faq_offers_its_entries(tmp_path: Path) -> None:
    env = make_env(
        tmp_path, datetime(2040, 9, 16, 20, 0), searcher=sure_of(NIGHT, "choose")
    )  # past the roster
    _, messages, _ = env.run(ActionHolidayClinic(env.rt), "休日当番医は？")
    assert metas(messages) == [{"candidates": ["iryo-005", "other-001"], "kind": "choose"}]


def test_a_day_answers_from_the_roster_after_the_faqs_sure_answer(tmp_path: Path) -> None:
    searcher = sure_of(NIGHT)
    env = make_env(tmp_path, datetime(2026, 9, 16, 20, 0), searcher=searcher)
    text, messages, _ = env.run(ActionHolidayClinic(env.rt), "今度の日曜の当番医は？")
    assert text.startswith(NIGHT.answer) and "9月20日（日）の休日当番医です" in text
    assert [m["kind"] for m in metas(messages)] == ["faq", "clinic"]
    assert [c["text"] for c in searcher.calls] == ["今度の日曜の当番医は？"]


def test_no_day_a_torn_faq_and_nothing_medical_offers_the_faq_entries(tmp_path: Path) -> None:
    """A question about child care NLU took for the duty-clinic intent: the FAQ's close entries, not a roster."""
    env = make_env(tmp_path, datetime(2026, 9, 16, 20, 0), searcher=sure_of(NIGHT, "choose"))
    text, messages, _ = env.run(ActionHolidayClinic(env.rt), "美容院に行く間、子どもを預けられるところは？")
    assert "休日当番医です" not in text
    assert metas(messages) == [{"candidates": ["iryo-005", "other-001"], "kind": "choose"}]
