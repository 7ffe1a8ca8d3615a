"""`action_department`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from actions.departments import ActionDepartment
from tests.support.citydata import make_env, metas


def test_department_open_and_closed(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 11, 24, 10, 0))  # Tuesday
    text, messages, _ = env.run(ActionDepartment(env.rt), "住民票はどこで取れますか")
    assert "市民課（本庁舎1階）" in text and "0120-000-101" in text and "ただいま受付時間内です" in text
    assert metas(messages)[0]["kind"] == "department"
    env.at(datetime(2026, 12, 29, 10, 0))
    text, _, _ = env.run(ActionDepartment(env.rt), "住民票はどこで取れますか")
    assert "受付時間外" in text and "次の受付は1月4日（月） 8:30からです" in text


def test_unknown_topic_gives_general_contact(tmp_path: Path) -> None:
    env = make_env(tmp_path, datetime(2026, 11, 24, 10, 0))
    text, messages, _ = env.run(ActionDepartment(env.rt), "ふにゃほげの担当")
    assert "総合案内" in text and metas(messages)[0]["fallback"] is True
