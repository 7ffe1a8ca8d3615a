"""`action_department`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from actions.departments import ActionDepartment
from knowledge.kb import FaqEntry
from tests.support.citydata import make_env, metas, responses, sure_of


def test_department_open_and_closed(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 11, 24, 10, 0))  # Tuesday
    text, messages, _ = env.run(ActionDepartment(env.rt), "住民票はどこで取れますか")
    assert "市民課（本庁舎1階）" in text and "0120-000-101" in text and "ただいま受付時間内です" in text
    assert responses(messages) == ["utter_department_open"]
    assert messages[0]["name"] == "市民課" and messages[0]["phone"] == "0120-000-101"
    assert metas(messages)[0]["kind"] == "department"
    env.at(datetime(2026, 12, 29, 10, 0))
    text, messages, _ = env.run(ActionDepartment(env.rt), "住民票はどこで取れますか")
    assert "受付時間外" in text and "次の受付は1月4日（月） 8:30からです" in text
    assert responses(messages) == ["utter_department_closed_until"]
    assert (messages[0]["reopen_day"], messages[0]["reopen_time"]) == ("1月4日（月）", "8:30")


def test_unknown_topic_gives_general_contact(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 11, 24, 10, 0))
    text, messages, _ = env.run(ActionDepartment(env.rt), "ふにゃほげの担当")
    assert "総合案内" in text and metas(messages)[0]["fallback"] is True
    assert responses(messages) == ["utter_department_unknown"]


# --- the FAQ's turn: no department matches ---------------------------------------------------------------------

PET = FaqEntry(
    id="pet-002",
    question="飼い犬が亡くなったときの手続きは？",
    answer="飼い犬が亡くなったら、30日以内に死亡届を出してください。",
    url="https://www.city.midorino.example/kurashi/pet/",
)


def test_no_department_and_a_sure_faq_answers_from_the_faq(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 11, 24, 10, 0), searcher=sure_of(PET))
    text, messages, events = env.run(ActionDepartment(env.rt), "ふにゃほげの担当")
    assert text == PET.answer and events == []
    assert metas(messages) == [
        {"faq_id": "pet-002", "kind": "faq", "link": {"label": "詳しくはこちら", "url": PET.url}}
    ]


def test_no_department_and_an_unsure_faq_gives_the_general_contact(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 11, 24, 10, 0), searcher=sure_of(PET, "unknown"))
    text, messages, _ = env.run(ActionDepartment(env.rt), "ふにゃほげの担当")
    assert "総合案内" in text and metas(messages) == [{"kind": "department", "fallback": True}]


def test_a_matching_department_answers_from_the_list_after_what_the_faq_has(tmp_path: Path) -> None:
    """The department as asked; before it, the FAQ's answer when the search is sure (what to do, not only
    where), its close entries when it is torn, nothing when it knows nothing."""
    for decision, first in (("unknown", []), ("choose", ["utter_faq_also"]), ("answer", [])):
        searcher = sure_of(PET, decision)
        env = make_env(tmp_path, datetime(2026, 11, 24, 10, 0), searcher=searcher)
        text, messages, _ = env.run(ActionDepartment(env.rt), "児童手当の窓口は？")
        assert "こども家庭課" in text and metas(messages)[-1] == {"kind": "department"}
        assert [r for r in responses(messages) if r.startswith("utter_faq")] == first
        assert [c["text"] for c in searcher.calls] == ["児童手当の窓口は？"]
        assert (PET.answer in text) == (decision == "answer")
        if decision == "choose":
            assert metas(messages)[0] == {"candidates": ["pet-002", "other-001"], "kind": "choose"}
            assert "担当者に問い合わせたい" not in str(messages)  # the department is the person to ask
