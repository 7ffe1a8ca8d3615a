"""The city's own settings for structured answers (``city.json``).

Name and website, whether garbage is collected on national holidays, the snow season,
the emergency number, the medical advice lines (#7119, #8000), the 24-hour road phone,
the general contact counter and topic pages. Loaded once; immutable.

Whether garbage is collected on a national holiday can differ per category: ``holiday_collection``
(``{"燃やせるごみ": true}``) names the exceptions, every other category follows ``collect_on_holidays``.
Staff edits made in the console are an overlay (:meth:`CityProfile.with_overlay`, stored by the gateway)
applied on top of ``city.json``; the result is the profile every answer reads.

:class:`CityFolder` is where a city keeps everything city-specific (``MADOGUCHI_CITY_DIR``); the demo city
(``knowledge/data``) is one such folder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from knowledge.csvdata import CityDataError, DataProblem

__all__ = ["AdviceLine", "CityFolder", "CityProfile", "Contact"]


@dataclass(frozen=True)
class AdviceLine:
    label: str
    number: str
    hours: str = ""
    note: str = ""

    def text(self) -> str:
        hours = f"（{self.hours}）" if self.hours else ""
        return f"{self.label} {self.number}{hours}"


@dataclass(frozen=True)
class Contact:
    label: str
    phone: str
    hours: str = ""
    counter: str = ""


@dataclass(frozen=True)
class CityProfile:
    name: str
    website: str
    collect_on_holidays: bool
    snow_season: tuple[str, str]  # ("12-01", "03-31")
    emergency: AdviceLine
    advice_lines: tuple[AdviceLine, ...]
    road_emergency: Contact
    contact: Contact
    pages: dict[str, str] = field(default_factory=dict)
    water_emergency: Contact = Contact("", "")  # 24h water-leak line; "" = the general contact
    holiday_collection: dict[str, bool] = field(default_factory=dict)  # category -> collected on holidays

    @classmethod
    def load(cls, path: str | Path) -> CityProfile:
        p = Path(path)
        try:
            raw = json.loads(p.read_text(encoding="utf-8-sig"))
            return cls.from_dict(raw)
        except FileNotFoundError as exc:
            raise CityDataError([DataProblem(p.name, 0, "ファイルがありません / file not found")]) from exc
        # AttributeError: a list or string where the file needs an object ({...})
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CityDataError([DataProblem(p.name, 0, f"city.json が正しくありません: {exc}")]) from exc

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> CityProfile:
        season = raw.get("snow_season") or {"start": "12-01", "end": "03-31"}
        emergency = raw.get("emergency") or {"label": "救急車・火事", "number": "119"}
        road = raw.get("road_emergency") or {}
        contact = raw.get("contact") or {}
        water = raw.get("water_emergency") or {}
        return cls(
            name=str(raw["name"]),
            website=str(raw.get("website", "")),
            collect_on_holidays=bool(raw.get("collect_on_holidays", True)),
            snow_season=(str(season["start"]), str(season["end"])),
            emergency=AdviceLine(str(emergency["label"]), str(emergency["number"])),
            advice_lines=tuple(
                AdviceLine(str(a["label"]), str(a["number"]), str(a.get("hours", "")), str(a.get("note", "")))
                for a in raw.get("advice_lines", [])
            ),
            road_emergency=Contact(
                str(road.get("label", "")), str(road.get("phone", "")), str(road.get("hours", ""))
            ),
            contact=Contact(
                str(contact.get("label", "")),
                str(contact.get("phone", "")),
                str(contact.get("hours", "")),
                str(contact.get("counter", "")),
            ),
            pages={str(k): str(v) for k, v in (raw.get("pages") or {}).items()},
            water_emergency=Contact(
                str(water.get("label", "")), str(water.get("phone", "")), str(water.get("hours", ""))
            ),
            holiday_collection=_holiday_map(raw.get("holiday_collection") or {}),
        )

    def collects_on_holidays(self, category: str) -> bool:
        """Whether ``category`` is collected on a national holiday: its own policy, else the city-wide one."""
        return self.holiday_collection.get(category, self.collect_on_holidays)

    def with_overlay(self, overlay: Mapping[str, Any]) -> CityProfile:
        """This profile with staff edits applied. ``overlay`` holds only what changed: ``contact``
        (``counter``/``phone``/``hours``), ``website``, ``pages`` (a ``""`` URL removes the page),
        ``collect_on_holidays`` and ``holiday_collection`` (a ``None`` policy means the city-wide one)."""
        contact = {k: str(v) for k, v in (overlay.get("contact") or {}).items() if k in _CONTACT_FIELDS}
        pages = dict(self.pages)
        for key, url in (overlay.get("pages") or {}).items():
            if url:
                pages[str(key)] = str(url)
            else:
                pages.pop(str(key), None)
        holidays = dict(self.holiday_collection)
        for category, collect in (overlay.get("holiday_collection") or {}).items():
            if collect is None:
                holidays.pop(str(category), None)
            else:
                holidays[str(category)] = bool(collect)
        return replace(
            self,
            website=str(overlay.get("website", self.website)),
            collect_on_holidays=bool(overlay.get("collect_on_holidays", self.collect_on_holidays)),
            contact=replace(self.contact, **contact),
            pages=pages,
            holiday_collection=holidays,
        )

    def advice_line(self, number: str) -> AdviceLine | None:
        return next((a for a in self.advice_lines if a.number == number), None)


_CONTACT_FIELDS = ("counter", "phone", "hours")


def _holiday_map(raw: Mapping[str, Any]) -> dict[str, bool]:
    """``holiday_collection`` of city.json: a category's label to true/false (nothing else is a policy)."""
    if not isinstance(raw, Mapping):
        raise TypeError('holiday_collection は {"区分": true/false} の形で書いてください')
    bad = [str(k) for k, v in raw.items() if not isinstance(v, bool)]
    if bad:
        raise ValueError(f"holiday_collection の {', '.join(bad)} は true か false で書いてください")
    return {str(k): v for k, v in raw.items()}


@dataclass(frozen=True)
class CityFolder:
    """The files of one city folder: ``faq.csv``, ``synonyms.csv`` and ``city/`` (``city.json``, the 5374
    garbage files, clinics, departments, snowplow areas, report categories, optional ``richmenu.json`` and
    ``messages.yml``)."""

    root: Path

    @property
    def faq(self) -> Path:
        return self.root / "faq.csv"

    @property
    def synonyms(self) -> Path:
        return self.root / "synonyms.csv"

    @property
    def data_dir(self) -> Path:
        return self.root / "city"

    @property
    def city_json(self) -> Path:
        return self.data_dir / "city.json"

    @property
    def report_categories(self) -> Path:
        return self.data_dir / "report_categories.json"

    @property
    def richmenu(self) -> Path:
        return self.data_dir / "richmenu.json"

    @property
    def messages(self) -> Path:
        """The city's wording of the gateway's own texts (optional; keys of bot/messages.yml)."""
        return self.data_dir / "messages.yml"

    def profile(self) -> CityProfile:
        return CityProfile.load(self.city_json)
