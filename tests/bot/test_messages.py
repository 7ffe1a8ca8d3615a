"""bot.messages: the gateway's own texts (bot/messages.yml), and a city folder's city/messages.yml overriding
them key by key."""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
import pytest

from bot.chat import ChatService
from bot.messages import DEFAULTS, Messages, MessagesError, default_messages, for_city, for_settings
from bot.reports.notifications import status_message, status_words
from bot.settings import load_settings
from channels.line import messages as lm
from knowledge.city import CityFolder

SECRET = "test-secret-key-not-for-production"
DEMO_FOLDER = Path(__file__).resolve().parents[2] / "knowledge" / "data"


def override(tmp_path: Path, text: str) -> Path:
    path = CityFolder(tmp_path / "town").messages
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_defaults_keep_the_wording_residents_had() -> None:
    m = default_messages()
    assert m.text("sticker_reply") == lm.STICKER_REPLY and m.text("unsupported_reply") == lm.UNSUPPORTED_REPLY
    assert m.text("group_notice") == lm.GROUP_NOTICE
    assert m.text("rate_limited", seconds=30) == lm.rate_limited_reply(29.2)
    assert m.texts_of("follow_greeting") == lm.follow_greeting()
    assert default_messages() is default_messages()  # loaded once


def test_a_city_overrides_a_key_and_keeps_the_others(tmp_path: Path) -> None:
    path = override(tmp_path, 'sticker_reply: "スタンプをどうも。文章で送ってください。"\n'
                              'unavailable_contact: "お急ぎは {contact} へ。"\n')  # fmt: skip
    m = Messages.load(path)
    assert m.text("sticker_reply") == "スタンプをどうも。文章で送ってください。"
    assert m.text("unavailable_contact", contact="0120-1") == "お急ぎは 0120-1 へ。"
    assert m.text("unsupported_reply") == default_messages().text("unsupported_reply")
    assert Messages.load(tmp_path / "none.yml").texts == default_messages().texts  # no file: the defaults


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('stamp_reply: "…"\n', "stamp_reply という文言はありません"),
        ('follow_greeting: "ようこそ"\n', "follow_greeting はリストで書いてください"),
        ('rate_limited: "{minutes}分待ってください"\n', "{minutes} は使えません"),
        ("- a\n- b\n", "「キー: 文言」の形"),
        ('sticker_reply: "a\n', "YAML として読めません"),
    ],
)
def test_a_wrong_override_is_refused_with_the_fix(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(MessagesError, match=says.replace("{", r"\{").replace("}", r"\}")):
        Messages.load(override(tmp_path, text))


def test_the_settings_pick_the_city_folders_file(tmp_path: Path) -> None:
    town = tmp_path / "town"
    shutil.copytree(DEMO_FOLDER, town)  # a complete city folder, as `madoguchi city check` wants it
    override(tmp_path, 'group_notice: "1対1でお話しください。"\n')
    settings = load_settings(env="test", secret_key=SECRET, city_dir=town)
    assert for_settings(settings).text("group_notice") == "1対1でお話しください。"
    assert for_settings(load_settings(env="test", secret_key=SECRET)) is for_city(None)
    assert DEFAULTS.name == "messages.yml"


def test_the_unavailable_notice_and_status_pushes_use_the_city_wording(tmp_path: Path, factory) -> None:  # type: ignore[no-untyped-def]
    m = Messages.load(
        override(tmp_path, 'unavailable: "ただいま休止中です。"\nreport_status_done: "直しました"\n')
    )
    chat = ChatService(factory, _DownRasa(), SECRET, contact="0120-000-000", messages=m)  # type: ignore[arg-type]
    result = anyio.run(chat.handle, "web", "s", "こんにちは")
    assert result.replies[0].text == "ただいま休止中です。お急ぎの場合は 0120-000-000 までお電話ください。"
    assert status_words("対応済み", m) == "直しました"
    assert status_message("R-1", "対応済み", wording=m).startswith(
        "ご通報(受付番号 R-1)について、直しました。"
    )


class _DownRasa:
    async def send(self, *args: object, **kwargs: object) -> dict:
        raise ValueError("Rasa answered with no message")
