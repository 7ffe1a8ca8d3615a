from datetime import date

import pytest

from bot.storage import conversations, faq_repo
from bot.storage.db import transaction
from knowledge.kb import FaqEntry


def entry(i: int, answer: str = "答え") -> FaqEntry:
    return FaqEntry(
        id=f"t-{i:03d}",
        question=f"質問{i}",
        answer=answer,
        category="証明書",
        department="市民課",
        url="https://www.city.midorino.example/x",
        alt_questions=["別の聞き方"],
        keywords=["住民票"],
        valid_to=date(2030, 1, 1),
    )


def test_save_update_delete_with_history_and_revision(factory) -> None:
    with transaction(factory) as s:
        assert faq_repo.revision(s) == 0
        assert faq_repo.save_entry(s, entry(1), actor="alice") == "create"
    with transaction(factory) as s:
        assert faq_repo.get_entry(s, "t-001") == entry(1)
        assert faq_repo.save_entry(s, entry(1), actor="alice") == "unchanged"
        assert faq_repo.save_entry(s, entry(1, "新しい答え"), actor="bob") == "update"
        rev = faq_repo.revision(s)
    with transaction(factory) as s:
        changes = faq_repo.history(s, "t-001")
        assert [c.action for c in changes] == ["update", "create"]
        assert changes[0].before["answer"] == "答え" and changes[0].after["answer"] == "新しい答え"
        assert changes[0].actor == "bob"
        faq_repo.revert(s, changes[0].id, actor="carol")
    with transaction(factory) as s:
        assert faq_repo.get_entry(s, "t-001").answer == "答え"
        assert faq_repo.revision(s) > rev
        assert faq_repo.delete_entry(s, "t-001", actor="alice")
        assert not faq_repo.delete_entry(s, "t-001", actor="alice")
    with transaction(factory) as s:
        assert faq_repo.list_entries(s) == []


def test_import_merge_and_replace(factory) -> None:
    with transaction(factory) as s:
        faq_repo.apply_import(s, [entry(1), entry(2)], actor="cli")
    with transaction(factory) as s:
        counts = faq_repo.apply_import(s, [entry(2, "変更"), entry(3)], actor="cli")
        assert counts == {"create": 1, "update": 1, "unchanged": 0, "delete": 0}
        assert [e.id for e in faq_repo.list_entries(s)] == ["t-001", "t-002", "t-003"]
    with transaction(factory) as s:
        counts = faq_repo.apply_import(s, [entry(3)], actor="cli", replace=True)
        assert counts["delete"] == 2
        assert [e.id for e in faq_repo.list_entries(s)] == ["t-003"]


def test_failed_transaction_changes_nothing(factory) -> None:
    with pytest.raises(RuntimeError), transaction(factory) as s:
        faq_repo.save_entry(s, entry(1), actor="x")
        raise RuntimeError("boom")
    with transaction(factory) as s:
        assert faq_repo.count(s) == 0 and faq_repo.revision(s) == 0


def test_messages_are_masked_and_preferences_upsert(factory) -> None:
    with transaction(factory) as s:
        conversations.add_message(
            s,
            channel="web",
            sender="web-x",
            direction="in",
            text="電話は090-1234-5678、番号は1234 5678 9012です",
        )
        conversations.set_preference(s, "web-x", "garbage_area", "北町")
        conversations.set_preference(s, "web-x", "garbage_area", "南町")
    with transaction(factory) as s:
        (msg,) = conversations.history(s, "web-x")
        assert "090" not in msg.text and "9012" not in msg.text
        assert "[電話番号]" in msg.text and "[個人番号]" in msg.text
        assert conversations.get_preference(s, "web-x", "garbage_area") == "南町"


def test_a_line_message_answered_again_is_stored_once(factory) -> None:
    def store(text: str, line_message_id: str | None, direction: str = "in") -> int:
        with transaction(factory) as s:
            return conversations.add_message(
                s,
                channel="line",
                sender="line-a",
                direction=direction,
                text=text,
                line_message_id=line_message_id,
            ).id

    first = store("住民票は？", "m-1")
    assert store("住民票は？", "m-1") == first  # the event answered a second time (its worker died)
    assert store("ごみの日", "m-2") != first
    assert store("答え", "m-1", direction="out") != first  # answers are not deduplicated
    store("同じ文", None)
    store("同じ文", None)  # the widget has no message ids: every message is kept
    with transaction(factory) as s:
        texts = [m.text for m in conversations.history(s, "line-a")]
    assert texts == ["住民票は？", "ごみの日", "答え", "同じ文", "同じ文"]
