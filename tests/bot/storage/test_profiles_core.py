"""Resident profiles: optional age group and area, validated, changeable and deletable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import citydata
from bot.storage.db import transaction
from bot.storage.profiles import (
    CONSENT_VERSION,
    delete_profile,
    get_profile,
    known_areas,
    set_profile,
)
from bot.surveys.definition import SurveyError

CITY = Path(__file__).resolve().parents[3] / "knowledge" / "data" / "city"


def test_set_change_and_delete(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        row = set_profile(session, "line-a", age_group="40代", area=None)
        assert (row.age_group, row.area, row.consent_version) == ("40代", None, CONSENT_VERSION)
        set_profile(session, "line-a", age_group=None, area="北町地区", areas=["北町地区"])
    with transaction(factory) as session:
        row = get_profile(session, "line-a")
        assert (row.age_group, row.area) == (None, "北町地区")
        assert delete_profile(session, "line-a") is True
        assert delete_profile(session, "line-a") is False
        assert get_profile(session, "line-a") is None


@pytest.mark.parametrize(
    ("age", "area", "words"),
    [("25歳", None, "年代"), (None, "どこか", "地区"), (None, None, "どちらか")],
)
def test_bad_profiles_are_refused(factory, age, area, words) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session, pytest.raises(SurveyError) as caught:
        set_profile(session, "line-a", age_group=age, area=area, areas=["中央地区"])
    assert words in caught.value.message


def test_known_areas_come_from_the_imported_dataset_else_the_city_folder(factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        assert known_areas(session) == []
        assert known_areas(session, CITY)[:2] == ["中央地区", "駅前地区"]
    files = {
        "area_days.csv": "マスター,地名,センター,燃やすごみ\n1,本町,,月\n1,新町,,火\n2,東町,,水\n",
        "area_master.csv": "マスター,区名\n1,北区\n2,南区\n",
    }
    with transaction(factory) as session:
        session.add(citydata.CityDataset(kind="garbage", files=files, sha256="x"))
    with factory() as session:
        assert known_areas(session, CITY) == ["北区", "南区"]
