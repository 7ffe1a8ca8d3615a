"""The city's own settings (``city.json``): the demo city, the defaults, and clear errors for a bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.city import AdviceLine, CityFolder, CityProfile, Contact
from knowledge.csvdata import CityDataError

DATA = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "city"


def test_city_profile() -> None:
    city = CityProfile.load(DATA / "city.json")
    assert city.name == "みどり野市"
    assert city.collect_on_holidays is False
    assert city.snow_season == ("12-01", "03-31")
    assert city.emergency.number == "119"
    assert {a.number for a in city.advice_lines} == {"#7119", "#8000"}
    assert city.road_emergency.hours == "24時間"
    assert city.website == "https://www.city.midorino.example/"


def test_demo_contact_and_pages() -> None:
    city = CityProfile.load(DATA / "city.json")
    assert city.contact == Contact(
        "市役所 総合案内", "000-0000-1000", "平日 8:30〜17:15（土日祝・年末年始を除く）", "本庁舎1階 総合案内"
    )
    assert city.pages["garbage"] == "https://www.city.midorino.example/kurashi/gomi/"


def test_a_minimal_city_gets_the_defaults() -> None:
    city = CityProfile.from_dict({"name": "テスト市"})
    assert city.name == "テスト市"
    assert city.website == ""
    assert city.collect_on_holidays is True
    assert city.snow_season == ("12-01", "03-31")
    assert city.emergency == AdviceLine("救急車・火事", "119")
    assert city.advice_lines == ()
    assert city.road_emergency == Contact("", "", "")
    assert city.contact == Contact("", "", "", "")
    assert city.pages == {}


def test_advice_line_lookup_and_text() -> None:
    city = CityProfile.from_dict(
        {
            "name": "テスト市",
            "advice_lines": [
                {"label": "救急安心センター", "number": "#7119", "hours": "24時間"},
                {"label": "こども医療電話相談", "number": "#8000"},
            ],
        }
    )
    adult = city.advice_line("#7119")
    assert adult is not None and adult.text() == "救急安心センター #7119（24時間）"
    child = city.advice_line("#8000")
    assert child is not None and child.text() == "こども医療電話相談 #8000"
    assert city.advice_line("#9110") is None


def test_the_profile_is_immutable() -> None:
    city = CityProfile.from_dict({"name": "テスト市"})
    with pytest.raises(AttributeError):
        city.name = "別の市"  # type: ignore[misc]


def test_a_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "city.json"
    path.write_text(json.dumps({"name": "テスト市"}, ensure_ascii=False), encoding="utf-8-sig")
    assert CityProfile.load(path).name == "テスト市"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CityDataError) as info:
        CityProfile.load(tmp_path / "city.json")
    assert (info.value.file, info.value.row) == ("city.json", 0)
    assert "file not found" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "{not json",  # ValueError
        '{"website": "https://example.jp/"}',  # KeyError: no name
        '{"name": "テスト市", "advice_lines": [{"label": "相談"}]}',  # KeyError: no number
        '{"name": "テスト市", "snow_season": {"start": "12-01"}}',  # KeyError: no end
        '["a list"]',  # AttributeError: a list where an object belongs
        '{"name": "テスト市", "pages": ["garbage"]}',
        '{"name": "テスト市", "emergency": "119"}',
    ],
)
def test_a_bad_file_names_itself(tmp_path: Path, text: str) -> None:
    path = tmp_path / "city.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CityDataError) as info:
        CityProfile.load(path)
    assert info.value.file == "city.json"
    assert "city.json が正しくありません" in str(info.value)


def test_water_emergency_line_is_read_and_optional() -> None:
    assert CityProfile.load(DATA / "city.json").water_emergency.phone == "000-0000-1190"
    assert CityProfile.from_dict({"name": "ためし村"}).water_emergency == Contact("", "")


def test_city_folder_layout() -> None:
    folder = CityFolder(DATA.parent)
    assert (folder.faq, folder.synonyms) == (DATA.parent / "faq.csv", DATA.parent / "synonyms.csv")
    assert (folder.data_dir, folder.city_json) == (DATA, DATA / "city.json")
    assert folder.report_categories == DATA / "report_categories.json"
    assert folder.richmenu == DATA / "richmenu.json"
    assert folder.profile().name == "みどり野市"


def test_holiday_policy_per_category_defaults_to_the_city_wide_flag() -> None:
    city = CityProfile.from_dict(
        {"name": "テスト市", "collect_on_holidays": False, "holiday_collection": {"燃やすごみ": True}}
    )
    assert city.collects_on_holidays("燃やすごみ") is True
    assert city.collects_on_holidays("ペットボトル") is False  # no policy of its own: the city-wide one
    with pytest.raises(ValueError, match="true か false"):
        CityProfile.from_dict({"name": "テスト市", "holiday_collection": {"燃やすごみ": "yes"}})


def test_a_bad_holiday_policy_in_city_json_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "city.json"
    path.write_text(json.dumps({"name": "テスト市", "holiday_collection": ["燃やすごみ"]}), encoding="utf-8")
    with pytest.raises(CityDataError, match="holiday_collection"):
        CityProfile.load(path)


def test_the_overlay_replaces_only_what_staff_changed() -> None:
    base = CityProfile.load(DATA / "city.json")
    city = base.with_overlay(
        {
            "contact": {"phone": "000-1111-2222", "hours": "平日 9:00〜17:00"},
            "website": "https://www.town.example.jp/",
            "pages": {"garbage": "https://www.town.example.jp/gomi/", "faq": ""},
            "collect_on_holidays": True,
            "holiday_collection": {"ペットボトル": False},
        }
    )
    assert city.contact == Contact(
        "市役所 総合案内", "000-1111-2222", "平日 9:00〜17:00", "本庁舎1階 総合案内"
    )
    assert city.website == "https://www.town.example.jp/"
    assert city.pages["garbage"] == "https://www.town.example.jp/gomi/" and "faq" not in city.pages
    assert city.pages["clinics"] == base.pages["clinics"]
    assert city.collects_on_holidays("燃やすごみ") is True
    assert city.collects_on_holidays("ペットボトル") is False
    assert city.name == base.name and city.advice_lines == base.advice_lines
    assert base.with_overlay({}) == base
    # a None policy removes the category's own one: it follows the city-wide flag again
    again = city.with_overlay({"holiday_collection": {"ペットボトル": None}})
    assert again.holiday_collection == {} and again.collects_on_holidays("ペットボトル") is True
