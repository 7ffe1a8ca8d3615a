"""Answering a survey on LINE one question at a time: every kind of question, pausing and resuming, changing
answers until the close, and forged or outdated buttons refused with nothing lost."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.messages import default_messages
from bot.storage.db import transaction
from bot.storage.models import Preference
from bot.surveys import service, talk
from bot.surveys.definition import TEXT_MAX
from channels.line.fake import message_problems
from tests.support.survey_line import Talker, choices, make_survey, postback_of, said

W = default_messages()


def progress(factory, survey_id: int, key: str):  # type: ignore[no-untyped-def]
    with factory() as session:
        return service.progress(session, survey_id, key)


def test_every_kind_of_question_is_answered_by_buttons_and_text(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory)
    taro = Talker(factory).resident(1)
    listed = taro.say("アンケート")
    assert "窓口サービスのアンケート" in said(listed) and choices(listed) == ["窓口サービスのアンケート"]
    first = taro.choose("窓口サービスのアンケート")
    assert "全4問" in said(first) and "問1/4" in said(first)
    assert choices(first) == ["月1回以上", "年に数回", "ほとんどない", "あとで"]  # required: no 「とばす」
    multi = taro.choose("年に数回")
    assert "問2/4" in said(multi) and "選んだもの: まだありません" in said(multi)
    multi = taro.choose("住民票")
    multi = taro.choose("税金")
    assert choices(multi) == ["✓住民票", "ごみ", "子育て", "✓税金", "次へ", "あとで"]
    multi = taro.choose("✓住民票")  # tapped again: unticked
    assert "選んだもの: 税金" in said(multi)
    rating = taro.choose("次へ")
    assert "問3/4" in said(rating) and choices(rating) == ["1", "2", "3", "4", "5", "あとで"]
    free = taro.choose("4")
    assert "問4/4(任意)" in said(free) and f"{TEXT_MAX}文字以内" in said(free)
    assert choices(free) == ["とばす", "あとで"]
    too_long = taro.say("あ" * (TEXT_MAX + 1))
    assert f"{TEXT_MAX + 1}文字ありました" in said(too_long) and "問4/4" in said(too_long)  # asked again
    done = taro.say("土曜日も開けてください。")
    assert "ご回答ありがとうございました" in said(done)
    assert "【登録情報(任意)】" in said(done)  # offered once, after the first survey
    answers = progress(factory, survey_id, taro.key)
    assert answers.completed and answers.next_question is None
    assert answers.answers == {0: "年に数回", 1: ["税金"], 2: 4, 3: "土曜日も開けてください。"}
    assert all(message_problems(m) == [] for m in (listed, first, multi, rating, free, done))
    assert taro.talker.rasa.calls == []  # none of it went to the chat


def test_a_paused_survey_resumes_where_it_stopped_and_the_chat_still_works(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory)
    hanako = Talker(factory).resident(2)
    hanako.tap(talk.data("open", survey_id))
    hanako.choose("月1回以上")
    chat = hanako.say("粗大ごみの出し方")  # something else: the chat answers, the survey waits
    assert said(chat).startswith("answer: 粗大ごみの出し方")
    assert "回答の途中" in said(hanako.say("アンケート"))
    resumed = hanako.choose("窓口サービスのアンケート")
    assert "続きから" in said(resumed) and "2問目から" in said(resumed) and "問2/4" in said(resumed)
    later = hanako.choose("あとで")
    assert "中断しました" in said(later)
    assert progress(factory, survey_id, hanako.key).answers == {0: "月1回以上"}  # nothing lost


def test_a_free_text_question_takes_the_next_text_and_pausing_words(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory, questions=[{"kind": "text", "text": "ご意見をどうぞ"}])
    jiro = Talker(factory).resident(3)
    asked = jiro.tap(talk.data("open", survey_id))
    assert choices(asked) == ["あとで"]
    assert "中断しました" in said(jiro.say("あとで"))  # typed instead of tapped
    assert said(jiro.say("ごみの日")).startswith("answer:")  # the question no longer waits
    jiro.say("アンケート")
    jiro.choose("窓口サービスのアンケート")
    assert said(jiro.say("休日当番医")).startswith("answer:")  # a rich-menu item is not an answer
    assert progress(factory, survey_id, jiro.key) is None
    jiro.say("アンケート")
    jiro.choose("窓口サービスのアンケート")
    assert "ありがとうございました" in said(jiro.say("窓口の案内がわかりやすかった"))
    assert progress(factory, survey_id, jiro.key).answers == {0: "窓口の案内がわかりやすかった"}


def test_an_optional_question_is_skipped_and_a_required_one_cannot_be(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory)
    saburo = Talker(factory).resident(4)
    first = saburo.tap(talk.data("open", survey_id))
    required = postback_of(first, "月1回以上").replace("o=ans", "o=skip").replace("&v=0", "")
    refused = saburo.tap(required)
    assert "必須のため、とばせません" in said(refused) and "問1/4" in said(refused)
    assert progress(factory, survey_id, saburo.key) is None
    saburo.choose("ほとんどない")
    saburo.choose("ごみ")
    saburo.choose("次へ")
    saburo.choose("5")
    done = saburo.choose("とばす")
    assert "ありがとうございました" in said(done)
    assert progress(factory, survey_id, saburo.key).answers[3] is None


def test_answers_change_until_the_close_then_the_survey_says_it_is_closed(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory, questions=[QUESTION_SINGLE, QUESTION_RATING])
    shiro = Talker(factory).resident(5)
    shiro.tap(talk.data("open", survey_id))
    shiro.choose("はい")
    shiro.choose("3")
    again = shiro.tap(talk.data("open", survey_id))  # answers once: the second time offers changing
    assert "すでにご回答いただいています" in said(again) and "回答を変更" in choices(again)
    picked = shiro.choose("回答を変更")
    assert "問1 わかりやすいですか: はい" in said(picked) and "問2 満足度: 3" in said(picked)
    changed_from = shiro.choose("問2")
    changed = shiro.choose("5")
    assert "回答を変更しました" in said(changed)
    assert progress(factory, survey_id, shiro.key).answers == {0: "はい", 1: 5}
    with transaction(factory) as session:
        service.close(session, survey_id, "editor1")
    assert "締め切りました" in said(shiro.choose("回答を変更"))
    assert "締め切りました" in said(shiro.tap(postback_of(picked, "問1")))
    assert "締め切りました" in said(shiro.tap(postback_of(changed_from, "1")))  # an answer button from before
    assert progress(factory, survey_id, shiro.key).answers == {0: "はい", 1: 5}


def test_an_answer_changed_before_finishing_goes_on_to_the_questions_left(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory, questions=[QUESTION_SINGLE, QUESTION_RATING])
    nanami = Talker(factory).resident(10)
    nanami.tap(talk.data("open", survey_id))
    nanami.choose("はい")
    nanami.tap(talk.data("chg", survey_id))
    nanami.choose("問1")
    changed = nanami.choose("いいえ")
    assert "回答を変更しました" in said(changed) and "問2/2" in said(changed)
    assert "ありがとうございました" in said(nanami.choose("2"))
    assert progress(factory, survey_id, nanami.key).answers == {0: "いいえ", 1: 2}


def test_forged_or_outdated_buttons_are_refused_and_change_nothing(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory, questions=[QUESTION_SINGLE, QUESTION_RATING])
    draft = make_survey(factory, publish=False)
    goro = Talker(factory).resident(6)
    first = goro.tap(talk.data("open", survey_id))
    genuine = postback_of(first, "はい")
    for forged in (
        genuine.replace("h=", "h=0"),  # the question changed since the button was made
        genuine.replace("q=0", "q=7"),  # no such question
        genuine.replace("v=0", "v=9"),  # no such choice
        genuine.replace("o=ans", "o=tog"),  # a multiple-choice step on a single-choice question
    ):
        answer = goro.tap(forged)
        assert "古くなっていて使えません" in said(answer) and "問1/2" in said(answer), forged
    assert "見つかりませんでした" in said(goro.tap(talk.data("open", 999)))
    assert "見つかりませんでした" in said(goro.tap(talk.data("open", draft)))
    assert "見つかりませんでした" in said(goro.tap("a=sv&o=drop&s=1"))
    assert "見つかりませんでした" in said(goro.tap("a=sv&o=open&s=x"))
    assert progress(factory, survey_id, goro.key) is None
    goro.tap(genuine)
    assert progress(factory, survey_id, goro.key).answers == {0: "はい"}


def test_a_survey_not_open_yet_or_closed_says_so(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory)
    rokuro = Talker(factory).resident(7)
    with transaction(factory) as session:
        service.close(session, survey_id, "editor1")
    assert "締め切りました" in said(rokuro.tap(talk.data("open", survey_id)))
    assert "いま回答を受け付けているアンケートはありません" in said(rokuro.say("アンケート"))


def test_an_anonymous_survey_keeps_the_answers_away_from_the_pseudonym(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory, anonymous=True, questions=[QUESTION_SINGLE])
    nana = Talker(factory).resident(8)
    intro = nana.tap(talk.data("open", survey_id))
    assert "無記名" in said(intro)
    nana.choose("いいえ")
    assert progress(factory, survey_id, nana.key).answers == {0: "いいえ"}
    with factory() as session:
        from bot.storage.surveys import SurveyResponseRow

        assert nana.key not in session.scalars(select(SurveyResponseRow.respondent)).all()


def test_the_waiting_question_is_forgotten_after_a_while(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = make_survey(factory, questions=[{"kind": "text", "text": "ご意見をどうぞ"}])
    hachi = Talker(factory).resident(9)
    hachi.tap(talk.data("open", survey_id))
    with factory() as session:
        assert talk.load_state(session, hachi.key, talk.now_utc()) is not None
        assert (
            talk.load_state(session, hachi.key, talk.now_utc() + talk.STATE_TTL + timedelta(seconds=1))
            is None
        )
        stored = session.scalar(select(Preference.value).where(Preference.sender == hachi.key))
        assert stored is not None and "ご意見" not in stored  # the state names the question, holds no answer


QUESTION_SINGLE = {"kind": "single", "text": "わかりやすいですか", "choices": ["はい", "いいえ"]}
QUESTION_RATING = {"kind": "rating", "text": "満足度"}
