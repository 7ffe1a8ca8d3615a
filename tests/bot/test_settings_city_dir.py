"""MADOGUCHI_CITY_DIR: the city's files and contact details come from its folder unless set one by one."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
KAWABE = ROOT / "tests" / "data" / "cities" / "kawabe"


def test_the_default_is_the_demo_city() -> None:
    s = load_settings(_env_file=None)
    assert s.city_dir is None and s.city_folder() is None
    assert s.city_data_dir == ROOT / "knowledge" / "data" / "city"
    assert s.kb_seed_file == ROOT / "knowledge" / "data" / "faq.csv"


def test_a_city_folder_gives_its_files_and_contacts() -> None:
    s = load_settings(city_dir=KAWABE, _env_file=None)
    assert (s.kb_seed_file, s.synonyms_file) == (KAWABE / "faq.csv", KAWABE / "synonyms.csv")
    assert s.city_data_dir == KAWABE / "city"
    assert s.report_categories_file == KAWABE / "city" / "report_categories.json"
    assert s.contact == "かわべ町 役場1階 総合窓口(0999-00-1000、平日 8:30〜17:00)"
    assert (s.road_emergency_phone, s.water_emergency_phone) == ("0999-00-7240", "0999-00-1190")


def test_a_setting_given_explicitly_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_CONTACT_PHONE", "0999-99-9999")
    s = load_settings(city_dir=KAWABE, _env_file=None)
    assert s.contact_phone == "0999-99-9999" and s.contact_hours == "平日 8:30〜17:00"


def test_a_folder_without_city_json_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="city check"):
        load_settings(city_dir=tmp_path, _env_file=None)


def test_empty_lines_as_in_env_example_are_the_city_folders(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        f"MADOGUCHI_CITY_DIR={KAWABE}\nMADOGUCHI_CONTACT_PHONE=\nMADOGUCHI_CITY_DATA_DIR=   # a comment\n",
        encoding="utf-8",
    )
    s = load_settings(_env_file=env)
    assert (s.contact_phone, s.city_data_dir) == ("0999-00-1000", KAWABE / "city")
    env.write_text("MADOGUCHI_CITY_DIR=\n", encoding="utf-8")
    assert load_settings(_env_file=env).city_dir is None
