"""Resident profiles (登録情報): the age group (年代) and area (地区) a resident chose to give, with consent.

Optional and never required: a resident is asked once, with the consent text of :data:`CONSENT_VERSION`, and can
see, change or delete it at any time. It is used for segment delivery, reminders and analytics only. Deleting
it also clears the age group and area copied into that resident's survey responses (linked and anonymous), so
the analytics lose them too, the suppressed small cells included.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.storage import citydata
from bot.storage.db import Base, utcnow
from bot.storage.surveys import SurveyResponseRow, SurveyRow, respondent_of
from bot.surveys.definition import SurveyError
from knowledge.csvdata import CityDataError
from knowledge.garbage.area_days import load_area_days, load_area_master

AGE_GROUPS = ("10代以下", "20代", "30代", "40代", "50代", "60代", "70代", "80代以上")
CONSENT_VERSION = 1
AREA_MAX = 128


class ResidentProfile(Base):
    __tablename__ = "resident_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(64), unique=True)
    age_group: Mapped[str | None] = mapped_column(String(16), nullable=True)
    area: Mapped[str | None] = mapped_column(String(AREA_MAX), nullable=True)
    consent_version: Mapped[int] = mapped_column(Integer, default=CONSENT_VERSION)
    consented_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


def get_profile(session: Session, sender: str) -> ResidentProfile | None:
    return session.scalar(select(ResidentProfile).where(ResidentProfile.sender == sender))


def set_profile(
    session: Session,
    sender: str,
    *,
    age_group: str | None,
    area: str | None,
    areas: Sequence[str] | None = None,
) -> ResidentProfile:
    """Create or change the profile (saving it is the consent to :data:`CONSENT_VERSION`). ``areas``: the
    choices offered (:func:`known_areas`); when given, ``area`` must be one of them."""
    age_group = (age_group or "").strip() or None
    area = (area or "").strip() or None
    if age_group is not None and age_group not in AGE_GROUPS:
        raise SurveyError("年代は選択肢の中から選んでください。")
    if area is not None and (len(area) > AREA_MAX or (areas is not None and area not in areas)):
        raise SurveyError("地区は選択肢の中から選んでください。")
    if age_group is None and area is None:
        raise SurveyError(
            "年代か地区のどちらかを選んでください(登録をやめるときは「削除」を選んでください)。"
        )
    row = get_profile(session, sender)
    now = utcnow()
    if row is None:
        row = ResidentProfile(sender=sender, consented_at=now)
        session.add(row)
    row.age_group, row.area = age_group, area
    row.consent_version, row.updated_at = CONSENT_VERSION, now
    session.flush()
    return row


def delete_profile(session: Session, sender: str) -> bool:
    """Delete the profile and clear its age group and area from every survey response of the resident.
    True when there was a profile."""
    profile = get_profile(session, sender)
    if profile is not None:
        session.delete(profile)
    for survey in session.scalars(select(SurveyRow)):
        session.execute(
            update(SurveyResponseRow)
            .where(
                SurveyResponseRow.survey_id == survey.id,
                SurveyResponseRow.respondent == respondent_of(survey, sender),
            )
            .values(age_group=None, area=None)
        )
    session.flush()
    return profile is not None


def profiles_by_sender(session: Session, senders: Sequence[str]) -> dict[str, ResidentProfile]:
    rows = session.scalars(select(ResidentProfile).where(ResidentProfile.sender.in_(list(senders))))
    return {r.sender: r for r in rows}


def area_names(area_days: Path) -> list[str]:
    """The 地区 of a 5374 ``area_days.csv``: the wards (``area_master.csv`` groups) when it has them, else the
    areas themselves, in the file's order."""
    master = area_days.parent / "area_master.csv"
    try:
        masters = load_area_master(master) if master.exists() else None
        areas, _, _ = load_area_days(area_days, None, {}, masters)
    except CityDataError:
        return []
    names = [a.ward for a in areas if a.ward] or [a.name for a in areas]
    return list(dict.fromkeys(names))


def known_areas(session: Session, city_dir: Path | None = None) -> list[str]:
    """The areas residents choose from: those of the newest imported garbage dataset, else of ``city_dir``
    (the settings' ``city_data_dir``); [] when neither has any."""
    dataset = citydata.latest_dataset(session, "garbage")
    files = {Path(name).name: text for name, text in (dataset.files if dataset is not None else {}).items()}
    if "area_days.csv" in files:
        with tempfile.TemporaryDirectory(prefix="madoguchi-areas-") as tmp:
            folder = Path(tmp)
            for name in ("area_days.csv", "area_master.csv"):
                if name in files:
                    (folder / name).write_text(files[name], encoding="utf-8")
            return area_names(folder / "area_days.csv")
    if city_dir is not None and (Path(city_dir) / "area_days.csv").exists():
        return area_names(Path(city_dir) / "area_days.csv")
    return []
