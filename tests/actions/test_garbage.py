"""`action_garbage_day` / `action_garbage_item` against the demo city (みどり野市, no holiday collection)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from actions.garbage import ActionGarbageDay, ActionGarbageItem
from bot.storage import conversations
from bot.storage.models import Unanswered
from knowledge.kb import FaqEntry
from tests.support.citydata import CityEnv, buttons, make_env, metas, responses, sure_of

SAT_BEFORE_HOLIDAYS = datetime(2026, 9, 19, 10, 0)  # Mon 21 敬老の日, Tue 22 国民の休日, Wed 23 秋分の日


def test_area_is_asked_once_then_remembered(tmp_path: Path) -> None:
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS)
    text, messages, events = env.run(ActionGarbageDay(env.rt), "明日のごみは？")
    assert "地区を教えてください" in text
    assert {"title": "中央地区", "payload": "中央地区のごみの日"} in buttons(messages)
    assert metas(messages) == [{"kind": "garbage"}] and responses(messages) == ["utter_ask_garbage_area"]

    text, messages, events = env.run(ActionGarbageDay(env.rt), "中央地区のごみの日")
    assert responses(messages) == ["utter_garbage_days"] and messages[0]["area"] == "中央地区"
    assert {"event": "slot", "timestamp": None, "name": "garbage_area", "value": "中央地区"} in events
    assert "中央地区" in text
    with env.factory() as session:
        assert conversations.get_preference(session, "web-resident-1", "garbage_area") == "中央地区"

    # Same conversation (slot) and a new one (stored preference only): no question asked again.
    text, _, _ = env.run(ActionGarbageDay(env.rt), "明日のごみは？")
    assert "地区を教えてください" not in text and "中央地区" in text
    env.slots.clear()
    text, _, events = env.run(ActionGarbageDay(env.rt), "明日のごみは？")
    assert "地区を教えてください" not in text and "中央地区" in text
    assert {"event": "slot", "timestamp": None, "name": "garbage_area", "value": "中央地区"} in events


def test_a_bare_area_answers_the_question_that_asked_for_it(tmp_path: Path) -> None:
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS)
    asked = [
        {"event": "user", "text": "明日は燃えるごみの日ですか"},
        {"event": "action", "name": "action_garbage_day"},
        {
            "event": "bot",
            "text": "お住まいの地区を教えてください。次の中から選ぶか、町名を送ってください。",
            "metadata": {"utter_action": "utter_ask_garbage_area"},
        },  # fmt: skip
        {"event": "bot", "text": None, "data": {"custom": {"madoguchi": {"kind": "garbage"}}}},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "中央地区"},
    ]
    text, _, _ = env.run(ActionGarbageDay(env.rt), "中央地区", history=asked)
    assert "明日9月20日（日）は収集がありません" in text and "今日" not in text  # about tomorrow, as asked
    assert "次の収集は9月24日（木）の「燃やすごみ」です" in text
    # Not right after the area question: the area alone gets today and tomorrow.
    unrelated = [asked[0], {"event": "bot", "text": "ほかにご用件があればどうぞ。"}, asked[-1]]
    text, _, _ = env.run(ActionGarbageDay(env.rt), "中央地区", history=unrelated)
    assert "今日9月19日（土）は収集がありません" in text


def test_change_area(tmp_path: Path) -> None:
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS)
    env.run(ActionGarbageDay(env.rt), "さくらがおかのごみの日")
    assert env.slots["garbage_area"] == "桜ケ丘地区"
    text, _, _ = env.run(ActionGarbageDay(env.rt), "地区を変更")
    assert "地区を教えてください" in text and env.slots["garbage_area"] is None
    with env.factory() as session:
        assert not conversations.get_preference(session, "web-resident-1", "garbage_area")
    env.run(ActionGarbageDay(env.rt), "川原町です")
    assert env.slots["garbage_area"] == "川原地区"


def test_tomorrow_on_saturday_before_holiday_monday(tmp_path: Path) -> None:
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS)
    env.slots["garbage_area"] = "中央地区"
    text, _, _ = env.run(ActionGarbageDay(env.rt), "明日は何ごみの日？")
    assert "明日9月20日（日）は収集がありません" in text
    # Monday is a holiday (the city does not collect on holidays); Thursday is the next collection.
    assert "次の収集は9月24日（木）の「燃やすごみ」です" in text
    text, _, _ = env.run(ActionGarbageDay(env.rt), "あさってのごみは？")
    assert "9月21日（月）は祝日のため、収集はありません" in text


def test_category_question_gives_next_date(tmp_path: Path) -> None:
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS)
    env.slots["garbage_area"] = "中央地区"
    text, _, _ = env.run(ActionGarbageDay(env.rt), "燃えないごみはいつ？")
    assert "中央地区の次の「燃やさないごみ」は10月14日（水）です（第2水曜日）" in text


def test_year_end(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 12, 20, 9, 0))
    env.slots["garbage_area"] = "中央地区"
    text, _, _ = env.run(ActionGarbageDay(env.rt), "年末年始のごみ収集は")
    assert "12月31日（木）は年末年始の休止期間のため、収集はありません" in text
    assert "12月29日（火）は「プラスチック容器包装」の日です" in text


def test_item_with_area_gives_next_collection(tmp_path: Path) -> None:
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS)
    env.slots["garbage_area"] = "中央地区"
    text, messages, _ = env.run(ActionGarbageItem(env.rt), "ぺっとぼとるはどうやって捨てる？")
    assert "「ペットボトル」は「ペットボトル」です" in text
    assert "キャップとラベルを外し" in text
    # 水4: the 4th Wednesday of September (23rd) is 秋分の日, so the next one is in October.
    assert "中央地区の次の「ペットボトル」の収集は10月28日（水）です" in text
    assert metas(messages)[0]["kind"] == "garbage" and responses(messages) == ["utter_garbage_item"]
    assert (messages[0]["item"], messages[0]["category"]) == ("ペットボトル", "ペットボトル")
    env.slots.clear()
    text, messages, _ = env.run(
        ActionGarbageItem(env.rt), "ぺっとぼとるはどうやって捨てる？", sender="web-new"
    )
    assert responses(messages) == ["utter_garbage_item_ask_area"]
    assert "キャップとラベルを外し" in text and "お住まいの地区を教えていただければ" in text


def test_item_unknown_falls_back_honestly(tmp_path: Path) -> None:
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS)
    text, messages, _ = env.run(ActionGarbageItem(env.rt), "ふにゃほげは何ごみ？")
    assert "見つかりませんでした" in text
    assert "https://www.city.midorino.example/kurashi/gomi/" in text
    assert env.settings.contact_phone in text
    assert metas(messages)[0]["fallback"] is True and responses(messages) == ["utter_garbage_item_unknown"]


def test_item_ambiguous_offers_choices(tmp_path: Path) -> None:
    env: CityEnv = make_env(tmp_path, SAT_BEFORE_HOLIDAYS)
    text, messages, _ = env.run(ActionGarbageItem(env.rt), "ぼとる")
    assert "どれのことでしょうか" in text and responses(messages) == ["utter_garbage_item_choose"]
    assert all(b["payload"].endswith("は何ごみ？") for b in buttons(messages))


# --- the FAQ's turn: nothing specific to answer from (no area, no clear item) --------------------------------

SODAI = FaqEntry(
    id="gomi-020",
    question="粗大ごみはどうやって出しますか？",
    answer="粗大ごみは事前に申し込み、指定の日に出してください（有料）。",
    url="https://www.city.midorino.example/kurashi/gomi/sodai/",
)
FAQ_META = {"faq_id": "gomi-020", "kind": "faq", "link": {"label": "詳しくはこちら", "url": SODAI.url}}


def test_no_area_and_a_sure_faq_answers_from_the_faq(tmp_path: Path) -> None:
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS, searcher=sure_of(SODAI))
    text, messages, events = env.run(ActionGarbageDay(env.rt), "粗大ごみの収集日は？")
    assert text == SODAI.answer and metas(messages) == [FAQ_META] and events == []
    assert "garbage_area" not in env.slots


@pytest.mark.parametrize("decision", ["unknown", "choose"])
def test_no_area_and_an_unsure_faq_asks_for_the_area(tmp_path: Path, decision: str) -> None:
    """A torn FAQ too: the area leads to the resident's own days; the FAQ's close entries come first, so the
    resident can tap one if that is what they meant (LINE shows one message's quick replies: theirs first)."""
    searcher = sure_of(SODAI, decision)
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS, searcher=searcher)
    text, messages, _ = env.run(ActionGarbageDay(env.rt), "明日のごみは？")
    assert "地区を教えてください" in text and metas(messages)[-1] == {"kind": "garbage"}
    assert [c["text"] for c in searcher.calls] == ["明日のごみは？"]
    offered = [{"candidates": ["gomi-020", "other-001"], "kind": "choose"}] if decision == "choose" else []
    assert metas(messages)[:-1] == offered
    with env.factory() as session:  # the area question answered it: nothing for staff's unanswered list
        assert session.scalars(select(Unanswered)).all() == []


def test_an_area_named_or_remembered_answers_from_the_calendar_whatever_the_faq(tmp_path: Path) -> None:
    searcher = sure_of(SODAI)
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS, searcher=searcher)
    text, messages, _ = env.run(ActionGarbageDay(env.rt), "中央地区のごみの日")
    assert "中央地区のごみ収集日です" in text and metas(messages)[0]["kind"] == "garbage"
    env.slots.clear()  # a new conversation: the stored preference is the area
    text, _, _ = env.run(ActionGarbageDay(env.rt), "明日のごみは？")
    assert "中央地区のごみ収集日です" in text
    assert searcher.calls == []


def test_no_item_and_a_sure_faq_answers_from_the_faq(tmp_path: Path) -> None:
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS, searcher=sure_of(SODAI))
    text, messages, events = env.run(ActionGarbageItem(env.rt), "粗大ごみの出し方を教えて")
    assert text == SODAI.answer and metas(messages) == [FAQ_META] and events == []
    # an ambiguous item too: the FAQ's sure answer beats a list of guesses
    text, messages, _ = env.run(ActionGarbageItem(env.rt), "ぼとる")
    assert text == SODAI.answer and metas(messages) == [FAQ_META]


def test_no_item_and_an_unsure_faq_offers_choices_or_says_so(tmp_path: Path) -> None:
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS, searcher=sure_of(SODAI, "unknown"))
    text, messages, _ = env.run(ActionGarbageItem(env.rt), "ぼとる")
    assert "どれのことでしょうか" in text and metas(messages) == [{"kind": "garbage"}]
    text, messages, _ = env.run(ActionGarbageItem(env.rt), "粗大ごみの出し方を教えて")
    assert "見つかりませんでした" in text and metas(messages)[0]["kind"] == "unknown"


def test_a_clear_item_answers_from_the_dictionary_whatever_the_faq(tmp_path: Path) -> None:
    searcher = sure_of(SODAI)
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS, searcher=searcher)
    text, messages, _ = env.run(ActionGarbageItem(env.rt), "ぺっとぼとるはどうやって捨てる？")
    assert "「ペットボトル」は「ペットボトル」です" in text and metas(messages)[0]["kind"] == "garbage"
    assert SODAI.answer not in text  # sure, but of an entry that does not name the item


def test_a_clear_item_also_gets_the_faq_entry_on_that_item_first(tmp_path: Path) -> None:
    spray = FaqEntry(
        id="gomi-031",
        question="スプレー缶の捨て方は？",
        answer="中身を使い切り、穴は開けずに出してください。",
    )
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS, searcher=sure_of(spray))
    text, messages, _ = env.run(ActionGarbageItem(env.rt), "スプレー缶ってどうやって捨てるの？")
    assert text.startswith(spray.answer) and "スプレー缶" in text.split(spray.answer, 1)[1]
    assert [m["kind"] for m in metas(messages)] == ["faq", "garbage"] and metas(messages)[0][
        "faq_id"
    ] == "gomi-031"


def test_a_clear_item_named_only_in_a_sure_entrys_answer_gets_that_entry_first(tmp_path: Path) -> None:
    spray = FaqEntry(
        id="gomi-012",
        question="スプレー缶や電池はどうやって捨てますか？",
        answer="スプレー缶やカセットボンベは、中身を使い切ってから有害ごみの日に出してください。",
    )
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS, searcher=sure_of(spray))
    text, messages, _ = env.run(ActionGarbageItem(env.rt), "カセットボンベはどうやって捨てるの？")
    assert text.startswith(spray.answer)
    assert [m["kind"] for m in metas(messages)] == ["faq", "garbage"]


def test_a_clear_item_and_a_torn_faq_offers_its_close_entries_before_the_dictionary(tmp_path: Path) -> None:
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS, searcher=sure_of(SODAI, "choose"))
    text, messages, _ = env.run(ActionGarbageItem(env.rt), "ぺっとぼとるはどうやって捨てる？")
    assert text.startswith("市の「よくある質問」に、関係がありそうなものがあります。")
    assert "「ペットボトル」は「ペットボトル」です" in text
    assert metas(messages)[0] == {"candidates": [SODAI.id, "other-001"], "kind": "choose"}
    assert [m["kind"] for m in metas(messages)] == ["choose", "garbage"]


def test_no_area_a_torn_faq_and_no_garbage_word_offers_the_faq_entries(tmp_path: Path) -> None:
    """NLU sent a question about something else here (it learned the demo city's wording): the FAQ's close
    entries are offered, not the area question of the garbage calendar."""
    env = make_env(tmp_path, SAT_BEFORE_HOLIDAYS, searcher=sure_of(SODAI, "choose"))
    text, messages, _ = env.run(ActionGarbageDay(env.rt), "児童手当って次いつ振り込まれるんだっけ？")
    assert "地区を教えてください" not in text
    assert metas(messages) == [{"candidates": [SODAI.id, "other-001"], "kind": "choose"}]
