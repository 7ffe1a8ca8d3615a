"""The city's settings, edited by admins: the contact counter (name, phone, opening hours), whether each garbage
category is collected on national holidays, and the links (website, topic pages).

The city folder's ``city.json`` is the base; a save stores only what differs from it as the live overlay
(:mod:`bot.storage.city_settings`), audited with each changed value, and every process answers with it within
seconds (:class:`bot.live_citydata.CityDataStore`). A form with mistakes comes back with what was typed and
a message beside each wrong field; nothing is saved until every field is right.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.admin.pages import render
from bot.admin.security import AdminRoute, require
from bot.admin.staff import Staff
from bot.deps import ServicesDep
from bot.services import Services
from bot.storage import accounts, city_settings
from bot.storage.db import transaction
from knowledge.city import CityProfile

router = APIRouter(prefix="/city", route_class=AdminRoute)
Admin = Annotated[Staff, require("city.manage")]

PAGE_LABELS = {"garbage": "ごみの出し方", "clinics": "休日当番医", "snowplow": "除雪", "faq": "よくある質問"}
HOLIDAY_CHOICES = {"default": "市全体の設定に従う", "yes": "祝日も収集する", "no": "祝日は収集しない"}
TEXT_MAX, URL_MAX = 200, 500
# 000-0000-1000, 0120-000-724, 0312345678: a Japanese number, digits grouped by hyphens or not
PHONE = re.compile(r"0\d{1,4}-\d{1,4}-\d{3,4}|0\d{9,10}")
MESSAGES = {
    "counter": "窓口の名前を入力してください(例: 本庁舎1階 総合案内)。",
    "hours": "受付時間を入力してください(例: 平日 8:30〜17:15)。",
    "phone": "電話番号は 0123-45-6789 のように、0 で始まる数字(ハイフン区切り可)で入力してください。",
    "url": "URL は http:// か https:// で始まる形で入力してください(例: https://www.city.example.jp/)。",
    "website": "市のウェブサイトの URL を入力してください。",
    "long": f"{TEXT_MAX}文字以内で入力してください。",
    "choice": "選択肢から選んでください。",
}


def _plain(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a web address residents can open (None when it is)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        return MESSAGES["url"]
    return MESSAGES["long"] if len(url) > URL_MAX else None


def holiday_choice(profile: CityProfile, category: str) -> str:
    """The form's choice for a category: ``default`` unless the profile has a policy of its own."""
    own = profile.holiday_collection.get(category)
    return "default" if own is None else ("yes" if own else "no")


@dataclass
class CityForm:
    """The settings as the form shows them, what the staff typed, and what is wrong with it per field."""

    counter: str = ""
    phone: str = ""
    hours: str = ""
    website: str = ""
    collect_on_holidays: str = "yes"
    pages: dict[str, str] = field(default_factory=dict)
    holidays: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, city: CityProfile, categories: list[str]) -> CityForm:
        return cls(
            counter=city.contact.counter,
            phone=city.contact.phone,
            hours=city.contact.hours,
            website=city.website,
            collect_on_holidays="yes" if city.collect_on_holidays else "no",
            pages={key: city.pages.get(key, "") for key in page_keys(city)},
            holidays={c: holiday_choice(city, c) for c in categories},
        )

    @classmethod
    def parse(cls, data: Mapping[str, Any], keys: list[str], categories: list[str]) -> CityForm:
        """Read and check a posted form; ``errors`` is empty when it can be saved."""
        form = cls(
            counter=str(data.get("counter", "")).strip(),
            phone=_plain(data.get("phone")),
            hours=str(data.get("hours", "")).strip(),
            website=str(data.get("website", "")).strip(),
            collect_on_holidays=str(data.get("collect_on_holidays", "")),
            pages={key: str(data.get(f"page.{key}", "")).strip() for key in keys},
            holidays={c: str(data.get(f"holiday.{c}", "default")) for c in categories},
        )
        form.check()
        return form

    def check(self) -> None:
        for name in ("counter", "hours"):
            value = getattr(self, name)
            if not value:
                self.errors[name] = MESSAGES[name]
            elif len(value) > TEXT_MAX:
                self.errors[name] = MESSAGES["long"]
        if not PHONE.fullmatch(self.phone):
            self.errors["phone"] = MESSAGES["phone"]
        problem = url_problem(self.website) if self.website else MESSAGES["website"]
        if problem:
            self.errors["website"] = problem
        for key, url in self.pages.items():
            problem = url_problem(url) if url else None
            if problem:
                self.errors[f"page.{key}"] = problem
        if self.collect_on_holidays not in ("yes", "no"):
            self.errors["collect_on_holidays"] = MESSAGES["choice"]
        for category, choice in self.holidays.items():
            if choice not in HOLIDAY_CHOICES:
                self.errors[f"holiday.{category}"] = MESSAGES["choice"]

    def overlay(self, base: CityProfile) -> dict[str, Any]:
        """What differs from ``base`` (``city.json``), in the shape ``CityProfile.with_overlay`` reads."""
        overlay: dict[str, Any] = {}
        typed = {"counter": self.counter, "phone": self.phone, "hours": self.hours}
        contact = {k: v for k, v in typed.items() if v != getattr(base.contact, k)}
        if contact:
            overlay["contact"] = contact
        if self.website != base.website:
            overlay["website"] = self.website
        pages = {k: v for k, v in self.pages.items() if v != base.pages.get(k, "")}
        if pages:
            overlay["pages"] = pages
        collect = self.collect_on_holidays == "yes"
        if collect != base.collect_on_holidays:
            overlay["collect_on_holidays"] = collect
        holidays: dict[str, bool | None] = {}
        for category, choice in self.holidays.items():
            if choice != holiday_choice(base, category):
                holidays[category] = None if choice == "default" else choice == "yes"
        if holidays:
            overlay["holiday_collection"] = holidays
        return overlay


def page_keys(*profiles: CityProfile) -> list[str]:
    """The topic pages the form offers: the usual ones, then any other a profile has."""
    keys = list(PAGE_LABELS)
    for profile in profiles:
        keys += [k for k in profile.pages if k not in keys]
    return keys


def changes(before: CityProfile, after: CityProfile, categories: list[str]) -> dict[str, list[Any]]:
    """``{setting: [before, after]}`` for every value the save changed (the audit entry's detail)."""
    pairs: dict[str, tuple[Any, Any]] = {
        "contact.counter": (before.contact.counter, after.contact.counter),
        "contact.phone": (before.contact.phone, after.contact.phone),
        "contact.hours": (before.contact.hours, after.contact.hours),
        "website": (before.website, after.website),
        "collect_on_holidays": (before.collect_on_holidays, after.collect_on_holidays),
    }
    for key in page_keys(before, after):
        pairs[f"pages.{key}"] = (before.pages.get(key, ""), after.pages.get(key, ""))
    for category in categories:
        pairs[f"holiday.{category}"] = (holiday_choice(before, category), holiday_choice(after, category))
    return {name: [old, new] for name, (old, new) in pairs.items() if old != new}


@dataclass(frozen=True)
class _State:
    base: CityProfile  # city.json as written
    live: CityProfile  # with the saved overlay
    categories: list[str]


def _state(services: Services) -> _State:
    store = services.city_store
    base = store.base_profile()
    with services.factory() as session:
        overlay = city_settings.current_overlay(session)
    live = base.with_overlay(overlay)
    categories = list(store.get().garbage.categories())
    categories += [c for c in {**base.holiday_collection, **live.holiday_collection} if c not in categories]
    return _State(base, live, categories)


def _page(
    request: Request, staff: Staff, state: _State, form: CityForm, status_code: int = 200, **ctx: Any
) -> Response:
    return render(
        request,
        "city_settings.html",
        staff,
        status_code=status_code,
        form=form,
        base=state.base,
        live=state.live,
        page_labels=PAGE_LABELS,
        holiday_choices=HOLIDAY_CHOICES,
        **ctx,
    )


@router.get("", response_class=HTMLResponse)
def city_page(request: Request, staff: Admin, services: ServicesDep, saved: int = 0) -> Response:
    state = _state(services)
    form = CityForm.of(state.live, state.categories)
    flash = "保存しました。数秒のうちに、すべての回答に反映されます。" if saved else None
    return _page(request, staff, state, form, flash=flash)


@router.post("", response_class=HTMLResponse)
async def save(request: Request, staff: Admin, services: ServicesDep) -> Response:
    data = await request.form()
    state = await run_in_threadpool(_state, services)
    form = CityForm.parse(data, page_keys(state.base, state.live), state.categories)
    if form.errors:
        return _page(request, staff, state, form, 400)
    overlay = form.overlay(state.base)
    after = state.base.with_overlay(overlay)
    changed = changes(state.live, after, state.categories)
    if not changed:
        return _page(request, staff, state, form, flash="変更はありませんでした。")

    def store() -> None:
        with transaction(services.factory) as session:
            city_settings.save_overlay(session, overlay, staff.username)
            accounts.audit(session, staff.username, "city.settings", state.base.name, changed, staff.ip)

    await run_in_threadpool(store)
    return RedirectResponse("/admin/city?saved=1", status_code=303)
