"""The LINE handlers while a report form waits for an answer: what the form cannot use (a sticker, a video, a
file) gets a reminder of the report with its question and buttons, and an FAQ answer given in the middle of the
form gets no feedback card."""

from __future__ import annotations

from typing import Any

from bot.storage import conversations
from bot.storage.db import transaction
from channels.line import messages as lm
from channels.line.fake import FakeLine, event, text_event
from tests.bot.line.test_handlers import USER, _answer, _answerer, _texts
from tests.support.line import StubRasa

QUESTION = "写真を撮った場所(中央地区付近)を使いますか？"
BUTTONS = [{"title": "はい、この場所", "payload": "はい"}, {"title": "いいえ", "payload": "いいえ"}]


def _in_a_report(factory, answerer: Any) -> None:  # type: ignore[no-untyped-def]
    """What `action_ask_report_location` records when it asks (actions/report_form.py)."""
    with transaction(factory) as session:
        conversations.set_report_question(
            session, answerer.chat.resident_key("line", USER), QUESTION, BUTTONS
        )


def _quick(messages: list[dict[str, Any]]) -> list[str]:
    return [i["action"]["text"] for i in (messages[-1].get("quickReply") or {}).get("items", [])]


def test_a_sticker_during_a_report_reminds_of_it_and_keeps_its_buttons(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    """Issue 17, item 17: the generic sticker reply said nothing about the report and replaced its buttons."""
    rasa = StubRasa()
    answerer = _answerer(factory, rasa, fake=fake_line)
    sticker = {"type": "sticker", "id": "1", "packageId": "446", "stickerId": "1988"}
    outside, _ = _answer(factory, answerer, event("message", USER, message=sticker))
    assert _texts(outside) == [lm.STICKER_REPLY]
    _in_a_report(factory, answerer)
    during, _ = _answer(factory, answerer, event("message", USER, message={**sticker, "id": "2"}))
    assert _texts(during) == [lm.REPORT_IN_PROGRESS, QUESTION]
    assert _quick(during) == ["はい", "いいえ"] and rasa.calls == []


def test_a_video_audio_or_file_during_a_report_asks_for_a_photo(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    """Issue 17, item 15: a video sent during a report got the generic "we cannot read this" reply."""
    answerer = _answerer(factory, StubRasa(), fake=fake_line)
    video = event("message", USER, message={"type": "video", "id": "3"})
    outside, _ = _answer(factory, answerer, video)
    assert _texts(outside) == [lm.UNSUPPORTED_REPLY]
    _in_a_report(factory, answerer)
    for i, kind in enumerate(("video", "audio", "file")):
        answer, _ = _answer(factory, answerer, event("message", USER, message={"type": kind, "id": f"4{i}"}))
        joined = "\n".join(_texts(answer))
        assert "写真" in joined and lm.MEDIA_DURING_REPORT in joined and QUESTION in joined
        assert _quick(answer) == ["はい", "いいえ"]


def test_an_faq_answer_inside_a_report_gets_no_feedback_card(factory, fake_line: FakeLine) -> None:  # type: ignore[no-untyped-def]
    """Issue 17, item 16: the form's buttons ended up on 「この回答は役に立ちましたか？」."""
    answerer = _answerer(factory, StubRasa(), fake=fake_line)
    outside, _ = _answer(factory, answerer, text_event("faq 粗大ごみ", USER))
    assert outside[-1]["type"] == "template"
    _in_a_report(factory, answerer)
    inside, _ = _answer(factory, answerer, text_event("faq 粗大ごみ", USER))
    assert all(m["type"] == "text" for m in inside)
    assert "https://city.example.jp/faq/1" in _texts(inside)[0]  # the link, as text
    assert _quick(inside) == ["ごみの日"]  # the turn's own buttons stay on its last message
