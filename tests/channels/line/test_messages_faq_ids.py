"""Every FAQ id a city may use (knowledge.kb.id_problem) travels whole in the feedback buttons' postback."""

from __future__ import annotations

import pytest

from channels.line import messages as lm
from knowledge.kb import MAX_ID_LENGTH, is_valid_id


@pytest.mark.parametrize(
    "faq_id", ["Q-001", "123", "粗大ごみ-1", "A&B?#1%+=", "あ" * 26, "a" * MAX_ID_LENGTH]
)
def test_the_feedback_postback_carries_any_valid_id(faq_id: str) -> None:
    assert is_valid_id(faq_id)
    template = lm.feedback_template(faq_id, {"label": "詳しく", "url": "https://www.city.example.jp/"})
    postbacks = [a["data"] for a in template["template"]["actions"] if a["type"] == "postback"]
    assert len(postbacks) == 2
    assert [lm.decode_postback(data)["faq"] for data in postbacks] == [faq_id, faq_id]
    assert all(len(data) <= lm.MAX_POSTBACK_DATA for data in postbacks)


def test_the_longest_id_allowed_in_any_script_still_fits() -> None:
    for char in ("a", "あ", "%", "𠮷"):  # 1, 9, 3 and 12 characters once percent-encoded
        longest = max(n for n in range(1, MAX_ID_LENGTH + 1) if is_valid_id(char * n))
        lm.feedback_template(char * longest)  # raises when the postback data would pass LINE's limit
