"""The city settings page (bot/admin/city_settings.py): admins only, CSRF, validation that keeps what was typed,
every change audited, and a save reaching the residents' answers without a restart."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from actions.departments import ActionDepartment
from actions.faq import ActionHumanContact
from actions.garbage import ActionGarbageDay
from actions.runtime import Runtime
from bot.services import services_of
from bot.storage import accounts, city_settings
from knowledge.clock import CityClock
from tests.support.admin import CSRF_FIELD
from tests.support.citydata import CityEnv, UnknownSearcher

SAT_BEFORE_HOLIDAYS = datetime(2026, 9, 19, 10, 0)  # Monday 9/21 is 敬老の日


def _form(client: TestClient, **changes: str) -> dict[str, str]:
    """The settings form as the page fills it in, with ``changes`` typed over it."""
    page = client.get("/admin/city")
    assert page.status_code == 200
    data = {"csrf_token": CSRF_FIELD.search(page.text).group(1)}
    for tag in re.findall(r"<input [^>]*>", page.text):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) != "collect_on_holidays" and value:
            data[name.group(1)] = value.group(1)
    data["collect_on_holidays"] = re.search(
        r'name="collect_on_holidays" value="(\w+)" checked', page.text
    ).group(1)
    for select in re.finditer(r'<select name="([^"]+)".*?</select>', page.text, re.S):
        data[select.group(1)] = re.search(r'value="(\w+)" selected', select.group(0)).group(1)
    return {**data, **changes}


def _audit(app: FastAPI) -> list[Any]:
    with services_of(app).factory() as session:
        return [r for r in accounts.list_audit(session, "", "city.settings", limit=10)]


def test_only_admins_see_and_change_the_settings(admin_app: FastAPI, client_for) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    page = admin.get("/admin/city")
    assert page.status_code == 200 and "000-0000-1000" in page.text and 'href="/admin/city"' in page.text
    data = _form(admin)
    for role in ("editor", "viewer", "report_handler"):
        client = client_for(role)
        assert client.get("/admin/city").status_code == 403
        assert 'href="/admin/city"' not in client.get("/admin/faq").text
        assert client.post("/admin/city", data=data | {"phone": "000-9999-9999"}).status_code == 403
    refused = admin.post("/admin/city", data=data | {"csrf_token": "forged", "phone": "000-9999-9999"})
    assert refused.status_code == 403
    with services_of(admin_app).factory() as session:
        assert city_settings.current_overlay(session) == {}
    assert _audit(admin_app) == []


def test_a_save_is_audited_and_shown(admin_app: FastAPI, client_for) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    data = _form(
        admin,
        phone="０００-１１１１-２２２２",  # full-width digits as an IME types them
        counter="市民課 相談窓口",
        **{"page.faq": "", "holiday.燃やすごみ": "yes"},
    )
    saved = admin.post("/admin/city", data=data, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/city?saved=1"
    page = admin.get("/admin/city?saved=1")
    assert "保存しました" in page.text and 'value="000-1111-2222"' in page.text
    with services_of(admin_app).factory() as session:
        overlay = city_settings.current_overlay(session)
    assert overlay == {
        "contact": {"counter": "市民課 相談窓口", "phone": "000-1111-2222"},
        "pages": {"faq": ""},
        "holiday_collection": {"燃やすごみ": True},
    }
    (entry,) = _audit(admin_app)
    assert entry.actor == "admin" and entry.target == "みどり野市"
    assert entry.detail["contact.phone"] == ["000-0000-1000", "000-1111-2222"]
    assert entry.detail["holiday.燃やすごみ"] == ["default", "yes"]
    assert entry.detail["pages.faq"] == ["https://www.city.midorino.example/faq/", ""]
    assert set(entry.detail) == {"contact.counter", "contact.phone", "pages.faq", "holiday.燃やすごみ"}
    # the same form again changes nothing and records nothing
    again = admin.post("/admin/city", data=_form(admin))
    assert again.status_code == 200 and "変更はありませんでした" in again.text and len(_audit(admin_app)) == 1
    # back to city.json's value: the overlay no longer holds it
    admin.post("/admin/city", data=_form(admin, **{"holiday.燃やすごみ": "default"}))
    with services_of(admin_app).factory() as session:
        assert "holiday_collection" not in city_settings.current_overlay(session)


def test_mistakes_are_explained_in_japanese_and_nothing_typed_is_lost(admin_app: FastAPI, client_for) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    typed = {
        "phone": "電話してね",
        "hours": "  ",
        "website": "javascript:alert(1)",
        "counter": "新しい窓口の名前",
        "page.garbage": "ftp://files.example.jp/gomi",
        "holiday.燃やすごみ": "sometimes",
    }
    refused = admin.post("/admin/city", data=_form(admin, **typed))
    assert refused.status_code == 400
    text = refused.text
    assert "入力に誤りがあります" in text and "何も保存していません" in text
    assert "電話番号は 0123-45-6789 のように" in text
    assert "受付時間を入力してください" in text
    assert text.count("URL は http:// か https:// で始まる形で") == 2
    assert "選択肢から選んでください" in text
    for value in ("電話してね", "javascript:alert(1)", "新しい窓口の名前", "ftp://files.example.jp/gomi"):
        assert f'value="{value}"' in text  # what the staff typed is still in the form
    with services_of(admin_app).factory() as session:
        assert city_settings.current_overlay(session) == {}
    assert _audit(admin_app) == []


def test_a_save_reaches_the_answers_without_a_restart(
    admin_app: FastAPI, client_for, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("bot.live_citydata.CHECK_EVERY_S", 0.0)
    services = services_of(admin_app)
    rt = Runtime.assemble(
        services.settings, services.factory, UnknownSearcher(), CityClock(SAT_BEFORE_HOLIDAYS)
    )
    env = CityEnv(rt)
    env.slots["garbage_area"] = "中央地区"

    def answers(action: Any, text: str) -> str:
        _, messages, _ = env.run(action, text)
        return json.dumps(messages, ensure_ascii=False)

    assert "000-0000-1000" in answers(ActionDepartment(rt), "ぴよぴよ課はどこ")
    before = answers(ActionGarbageDay(rt), "燃やすごみはいつ？")
    assert "9月24日" in before and "9月21日" not in before  # Monday's holiday is skipped (city.json)
    admin = client_for("admin")
    data = _form(admin, phone="000-1111-2222", **{"holiday.燃やすごみ": "yes"})
    assert admin.post("/admin/city", data=data, follow_redirects=False).status_code == 303
    after = answers(ActionDepartment(rt), "ぴよぴよ課はどこ")
    assert "000-1111-2222" in after and "000-0000-1000" not in after
    contact = answers(ActionHumanContact(rt), "人と話したい")
    assert "000-1111-2222" in contact and "000-0000-1000" not in contact
    assert "9月21日" in answers(ActionGarbageDay(rt), "燃やすごみはいつ？")  # collected on the holiday now


def test_the_overlay_leaves_city_json_alone(admin_app: FastAPI, client_for) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    city_json = Path(services_of(admin_app).settings.city_data_dir) / "city.json"
    written = city_json.read_bytes()
    admin.post("/admin/city", data=_form(admin, website="https://www.town.example.jp/"))
    assert city_json.read_bytes() == written
    assert "city.json の値: https://www.city.midorino.example/" in admin.get("/admin/city").text
