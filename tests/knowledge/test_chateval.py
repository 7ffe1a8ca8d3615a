"""knowledge.chateval: a city asked through any asker, scored with crosscity's figures, two askers compared."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.chateval import Asked, ask_city, compare, differing, largest_gap, score_asked, via_counts
from knowledge.crosscity import City, QueryRecord, score
from knowledge.evaluation import EvalQuery
from knowledge.kb import FaqEntry
from knowledge.signals import Signals

QUERIES = [
    EvalQuery("住民票がほしい", "a", "casual"),
    EvalQuery("犬の登録", "b", "keyword"),
    EvalQuery("粗大ごみ", "c", "keyword"),
    EvalQuery("児童手当", "d", "formal"),
    EvalQuery("明日の天気", "", "oos"),
    EvalQuery("駅前のラーメン", "", "oos_near"),
]
CITY = City("town", [FaqEntry(id=i, question=i, answer="…") for i in "abcd"], QUERIES)
# what a scripted asker does with each question: (decision, ids, via)
SCRIPT = {
    "住民票がほしい": ("answer", ["a"], "ask_city_service"),  # right
    "犬の登録": ("choose", ["x", "b", "y"], "ask_city_service"),  # offered
    "粗大ごみ": ("answer", ["x"], "ask_garbage_sorting"),  # wrong
    "児童手当": ("unknown", [], "out_of_scope"),
    "明日の天気": ("unknown", [], "out_of_scope"),
    "駅前のラーメン": ("answer", ["a"], "ask_city_service"),  # a near miss answered
}


def test_every_question_is_asked_in_order_with_its_path() -> None:
    seen: list[str] = []

    def ask(text: str) -> tuple[str, list[str], str]:
        seen.append(text)
        return SCRIPT[text]

    progress: list[tuple[int, int]] = []
    asked = ask_city(CITY, ask, lambda done, total: progress.append((done, total)))
    assert seen == [q.text for q in QUERIES]
    assert [a.via for a in asked] == [SCRIPT[q.text][2] for q in QUERIES]
    assert progress[-1] == (6, 6)


def test_a_two_member_answer_has_no_path() -> None:
    asked = ask_city(CITY, lambda text: SCRIPT[text][:2])
    assert all(a.via == "" for a in asked)


def test_an_unknown_decision_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown decision"):
        ask_city(CITY, lambda _text: ("maybe", []))


def test_figures_follow_crosscity_definitions() -> None:
    s = score_asked("town", "chat API", ask_city(CITY, lambda text: SCRIPT[text]))
    assert (s.in_scope, s.out_of_scope, s.near_misses) == (4, 2, 1)
    assert s.answered_right == 1 / 4
    assert s.buttons_contain == 2 / 4
    assert s.answered_wrong == 2 / 6  # one in-scope wrong answer and one answered near miss, over all
    assert s.oos_not_answered == 1 / 2 and s.near_not_answered == 0.0
    assert s.choose == 1 / 6 and s.unknown == 2 / 6
    assert s.top1 == 1 / 4 and s.top3 == 2 / 4  # the ids the asker returned are its ranking


def test_same_outcomes_score_the_same_as_crosscity_score() -> None:
    """One implementation: recorded hand-tuned decisions scored by crosscity.score and by score_asked agree on
    every decision figure (crosscity's top-1/top-3 use its first-stage ranking, here the same ids)."""
    asked = ask_city(CITY, lambda text: SCRIPT[text])
    empty = Signals.__new__(Signals)
    records = [
        QueryRecord(a.query, list(a.ids), np.zeros((len(a.ids), 1)), empty, a.decision, list(a.ids))
        for a in asked
    ]
    assert score("town", records, None).__dict__ | {"method": ""} == score_asked(
        "town", "x", asked
    ).__dict__ | {"method": ""}


def test_two_askers_compared_figure_by_figure_and_question_by_question() -> None:
    chat = ask_city(CITY, lambda text: SCRIPT[text])
    engine_script = dict(SCRIPT) | {"児童手当": ("answer", ["d"], ""), "犬の登録": ("answer", ["b"], "")}
    engine = ask_city(CITY, lambda text: engine_script[text])
    s_chat, s_engine = score_asked("town", "chat", chat), score_asked("town", "engine", engine)
    gaps = compare(s_chat, s_engine)
    assert gaps == {"answered_right": pytest.approx(-0.5), "buttons_contain": pytest.approx(-0.25)}
    assert largest_gap(gaps) == ("answered_right", pytest.approx(-0.5))
    diffs = differing(chat, engine)
    assert [d.a.query.text for d in diffs] == ["犬の登録", "児童手当"]
    assert [d.figure for d in diffs] == ["answered_right", "answered_right"]
    assert not any(d.a_better for d in diffs)
    assert via_counts(diffs) == {"ask_city_service": 1, "out_of_scope": 1}


def test_askers_on_different_questions_cannot_be_compared() -> None:
    chat = ask_city(CITY, lambda text: SCRIPT[text])
    with pytest.raises(ValueError, match="same questions"):
        differing(chat, chat[1:])


def test_right_and_buttons_of_one_outcome() -> None:
    q = EvalQuery("q", "a")
    assert Asked(q, "answer", ["a"]).right and Asked(q, "answer", ["a"]).buttons
    assert not Asked(q, "answer", ["b", "a"]).buttons
    assert Asked(q, "choose", ["b", "a"]).buttons and not Asked(q, "choose", ["b", "a"]).right
    assert not Asked(EvalQuery("q", ""), "answer", ["a"]).right
    assert largest_gap({}) == ("", 0.0)
