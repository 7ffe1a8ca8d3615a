"""「登録情報」 on LINE: asked with the consent text first, optional at every step, shown, changed and deleted at
any time; forged choices change nothing."""

from __future__ import annotations

from bot.storage import profiles
from bot.storage.db import transaction
from bot.surveys import talk
from bot.surveys.registration import data
from channels.line.fake import message_problems
from tests.support.survey_line import Talker, choices, make_survey, said


def profile_of(factory, key: str) -> tuple[str | None, str | None] | None:  # type: ignore[no-untyped-def]
    with factory() as session:
        row = profiles.get_profile(session, key)
        return (row.age_group, row.area) if row is not None else None


def test_the_first_time_the_consent_comes_first_and_declining_keeps_nothing(factory) -> None:  # type: ignore[no-untyped-def]
    ichiro = Talker(factory).resident(1)
    consent = ichiro.say("登録情報")
    text = said(consent)
    for point in ("年代と地区", "お名前や住所は伺いません", "削除されるまで保存します", "登録しなくても"):
        assert point in text  # what, why, how long, optional
    assert choices(consent) == ["登録する", "登録しない"] and message_problems(consent) == []
    assert "登録しないことにしました" in said(ichiro.choose("登録しない"))
    assert profile_of(factory, ichiro.key) is None
    assert ichiro.talker.rasa.calls == []


def test_register_age_and_area_then_see_change_and_delete_them(factory) -> None:  # type: ignore[no-untyped-def]
    jiro = Talker(factory).resident(2)
    jiro.say("登録情報")
    ages = jiro.choose("登録する")
    assert choices(ages) == [*profiles.AGE_GROUPS, "答えない"]
    areas = jiro.choose("30代")
    assert choices(areas)[:2] == ["中央地区", "駅前地区"] and choices(areas)[-1] == "答えない"
    saved = jiro.choose("北町地区")
    assert "年代: 30代" in said(saved) and "地区: 北町地区" in said(saved)
    assert profile_of(factory, jiro.key) == ("30代", "北町地区")
    shown = jiro.say("登録情報")
    assert "年代: 30代" in said(shown) and choices(shown) == [
        "年代を変更",
        "地区を変更",
        "削除する",
        "そのまま",
    ]
    jiro.choose("年代を変更")
    assert "年代: 40代" in said(jiro.choose("40代"))
    jiro.say("登録情報")
    jiro.choose("地区を変更")
    assert "地区: 未登録" in said(jiro.choose("答えない"))
    assert profile_of(factory, jiro.key) == ("40代", None)
    jiro.say("登録情報")
    confirm = jiro.choose("削除する")
    assert "削除しますか" in said(confirm) and choices(confirm) == ["削除する", "そのまま"]
    assert "削除しました" in said(jiro.choose("削除する"))
    assert profile_of(factory, jiro.key) is None
    assert "登録情報はありません" in said(jiro.tap(data("delok")))


def test_answering_nothing_at_all_registers_nothing(factory) -> None:  # type: ignore[no-untyped-def]
    saburo = Talker(factory).resident(3)
    saburo.say("登録情報")
    saburo.choose("登録する")
    saburo.choose("答えない")
    assert "登録しないことにしました" in said(saburo.choose("答えない"))
    assert profile_of(factory, saburo.key) is None


def test_forged_choices_are_refused(factory) -> None:  # type: ignore[no-untyped-def]
    shiro = Talker(factory).resident(4)
    assert "見つかりませんでした" in said(shiro.tap(data("setage", v="25歳", f="1")))
    assert "見つかりませんでした" in said(shiro.tap(data("setarea", v="存在しない地区")))
    assert "見つかりませんでした" in said(shiro.tap(data("drop")))
    assert profile_of(factory, shiro.key) is None
    shiro.tap(data("setage", v="20代"))  # a genuine button, without the first-time flag: saved at once
    assert profile_of(factory, shiro.key) == ("20代", None)


def test_many_areas_are_paged(factory) -> None:  # type: ignore[no-untyped-def]
    goro = Talker(factory).resident(5)
    goro.talker.answerer.city_dir = None  # no areas: the area step is left out
    goro.say("登録情報")
    goro.choose("登録する")
    assert "年代: 50代" in said(goro.choose("50代")) and "地区を変更" not in choices(goro.say("登録情報"))
    from bot.surveys import registration

    with factory() as session:
        reg = registration.Registration(goro.talker.answerer.wording, session, goro.key)
        reg._areas = [f"第{i}地区" for i in range(1, 26)]
        first, second, third = reg.ask_area(0), reg.ask_area(1), reg.ask_area(2)
    assert choices(first)[-2:] == ["ほかの地区", "答えない"] and len(choices(first)) == 13
    assert choices(second)[0] == "第12地区" and choices(third)[:3] == ["第23地区", "第24地区", "第25地区"]
    assert "ほかの地区" not in choices(third)


def test_the_profile_is_offered_once_after_a_survey(factory) -> None:  # type: ignore[no-untyped-def]
    first = make_survey(factory, questions=[{"kind": "rating", "text": "満足度"}])
    second = make_survey(factory, title="二つ目", questions=[{"kind": "rating", "text": "満足度"}])
    rokuro = Talker(factory).resident(6)
    rokuro.tap(talk.data("open", first))
    offered = rokuro.choose("4")
    assert "【登録情報(任意)】" in said(offered) and choices(offered) == ["登録する", "登録しない"]
    rokuro.choose("登録しない")
    rokuro.tap(talk.data("open", second))
    assert "【登録情報(任意)】" not in said(rokuro.choose("5"))


def test_a_profile_agreed_under_an_earlier_consent_text_is_asked_again(factory) -> None:  # type: ignore[no-untyped-def]
    nana = Talker(factory).resident(7)
    nana.tap(data("setage", v="60代"))
    with transaction(factory) as session:
        row = profiles.get_profile(session, nana.key)
        row.consent_version = profiles.CONSENT_VERSION - 1  # the consent text changed since
    assert "【登録情報(任意)】" in said(nana.say("登録情報"))
    nana.choose("登録しない")
    assert profile_of(factory, nana.key) is None  # not used under terms the resident did not agree to
