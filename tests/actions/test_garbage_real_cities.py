"""`action_garbage_day` / `action_garbage_item` on real cities' published 5374 data, imported as a city imports it
(a stored dataset, live at once): areas to choose from, the city's own words for categories and times."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from actions.garbage import ActionGarbageDay, ActionGarbageItem
from bot.storage import citydata
from bot.storage.db import transaction
from knowledge.csvdata import decode
from tests.support.citydata import CityEnv, bot_events, buttons, make_env

CITIES = Path(__file__).resolve().parents[1] / "data" / "garbage5374"
MONDAY = datetime(2026, 6, 1, 9, 0)


def city_env(tmp_path: Path, name: str) -> CityEnv:
    """The demo runtime with the garbage data of ``name`` imported, as `madoguchi data import-garbage` stores it."""
    env = make_env(tmp_path, MONDAY)
    files = {p.name: decode(p.read_bytes()) for p in (CITIES / name).glob("*.csv")}
    with transaction(env.factory) as session:
        citydata.save_dataset(session, "garbage", files, actor="test")
    return env


def test_a_town_in_several_areas_is_offered_as_those_areas(tmp_path: Path) -> None:
    env = city_env(tmp_path, "shinagawa")
    text, messages, events = env.run(ActionGarbageDay(env.rt), "荏原のごみの日は？")
    assert "地区を教えてください" in text and "当てはまる地区がいくつかあります" in text
    assert [b["title"] for b in buttons(messages)] == [
        "荏原1丁目",
        "荏原2～4丁目",
        "荏原5・6丁目",
        "荏原7丁目",
    ]
    assert events == [] and "garbage_area" not in env.slots
    text, _, _ = env.run(ActionGarbageDay(env.rt), "荏原6丁目のごみの日")
    assert env.slots["garbage_area"] == "荏原5・6丁目" and "荏原5・6丁目のごみ収集日です" in text


def test_a_town_in_two_wards_is_told_apart_by_its_ward(tmp_path: Path) -> None:
    env = city_env(tmp_path, "saga")
    _, messages, _ = env.run(ActionGarbageDay(env.rt), "福島のごみは")
    assert [b["payload"] for b in buttons(messages)] == [
        "福島（大和町）のごみの日",
        "福島（久保田町）のごみの日",
    ]
    text, _, _ = env.run(ActionGarbageDay(env.rt), "大和町の福島の燃えないごみは？")
    assert "福島（大和町）の次の「燃えないごみ」は今日です（第1・第3月曜日）" in text  # 1 June, 1st Monday


def test_many_areas_and_none_named_asks_for_the_town_not_the_first_dozen(tmp_path: Path) -> None:
    env = city_env(tmp_path, "kyotango")  # 169 areas
    text, messages, _ = env.run(ActionGarbageDay(env.rt), "明日のごみは？")
    assert "町名を送ってください（例：「峰山町元町区」）" in text and buttons(messages) == []
    text, messages, _ = env.run(ActionGarbageDay(env.rt), "峰山町")  # 18 numbered districts, and more
    assert "当てはまる地区が18件あります。次の中から選ぶか、丁目や番号まで送ってください。" in text
    assert len(buttons(messages)) == 12
    text, _, _ = env.run(ActionGarbageDay(env.rt), "峰山町3区")
    assert env.slots["garbage_area"] == "峰山町３区"


def test_cans_that_go_two_ways_get_both_days(tmp_path: Path) -> None:
    env = city_env(tmp_path, "hashimoto")
    text, _, _ = env.run(ActionGarbageDay(env.rt), "小峰台の缶はいつ？")
    assert "小峰台の次の「食品用ビン・食品用スチール缶」は6月25日（木）です（第4木曜日）" in text
    assert "小峰台の次の「アルミ缶」は6月19日（金）です（第3金曜日）" in text
    # the city's own words about when to put garbage out (an unmarked remark of 橋本市), no made-up time
    assert "※ごみは、収集当日に朝8時までに出してください。" in text


def test_no_time_is_made_up_when_the_city_gives_none(tmp_path: Path) -> None:
    env = city_env(tmp_path, "kanazawa")
    text, _, _ = env.run(ActionGarbageDay(env.rt), "あさのがわの燃えるごみはいつ")
    assert "浅野川の次の「燃やすごみ」は今日です（毎週月・木曜日）" in text
    assert "時までに" not in text


def test_the_demo_city_says_its_time_for_the_category_that_has_one(tmp_path: Path) -> None:
    env = make_env(tmp_path, MONDAY)
    env.slots["garbage_area"] = "中央地区"
    text, _, _ = env.run(ActionGarbageDay(env.rt), "燃えるごみはいつ？")
    assert "※指定袋（赤）で朝8時までに出してください。" in text
    text, _, _ = env.run(ActionGarbageDay(env.rt), "ペットボトルはいつ？")
    assert "時までに" not in text


def test_an_item_that_goes_two_ways_says_both(tmp_path: Path) -> None:
    env = city_env(tmp_path, "chigasaki")
    text, _, _ = env.run(ActionGarbageItem(env.rt), "車の部品は何ごみ？")
    assert text.startswith("「車の部品」は「処理困難物」です。\n市が収集処理できないもの\n")
    assert "ただし、「大型ごみ」になる場合もあります：カーキャリアやカーオーディオなど" in text


def test_an_item_category_is_dated_by_the_column_holding_it(tmp_path: Path) -> None:
    """橋本市: target.csv says 破砕選別ごみ, area_days.csv's column is 破砕選別ごみ・有害危険ごみ・廃食用油."""
    env = city_env(tmp_path, "hashimoto")
    env.slots["garbage_area"] = "小峰台"
    text, _, _ = env.run(ActionGarbageItem(env.rt), "アイロンは何ごみ？")
    assert "「アイロン」は「破砕選別ごみ」です。" in text
    assert "小峰台の次の「破砕選別ごみ・有害危険ごみ・廃食用油」の収集は6月11日（木）です。" in text


def test_html_of_a_description_reaches_no_resident(tmp_path: Path) -> None:
    env = city_env(tmp_path, "saga")
    env.slots["garbage_area"] = "今宿町"
    text, _, _ = env.run(ActionGarbageItem(env.rt), "紙くずは何ごみ？")
    assert "「紙くず」は「燃えるごみ」です。" in text
    assert "・指定袋に入れてください。\n・生ごみはしっかり水を切りましょう。" in text and "<br" not in text


def test_the_area_chosen_answers_the_question_that_offered_the_choice(tmp_path: Path) -> None:
    env = city_env(tmp_path, "shinagawa")
    question = "荏原の燃えないごみはいつ？"
    text, messages, _ = env.run(ActionGarbageDay(env.rt), question)
    chosen = buttons(messages)[2]["payload"]
    history = [
        {"event": "user", "text": question},
        *bot_events(messages),
        {"event": "user", "text": chosen},
    ]
    text, _, _ = env.run(ActionGarbageDay(env.rt), chosen, history=history)
    assert text.startswith(
        "荏原5・6丁目の次の「陶器・ガラス・金属ごみ」は6月6日（土）です（第1・第3土曜日）。"
    )
