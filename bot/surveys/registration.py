"""「登録情報」 on LINE: the resident sees, sets, changes or deletes their age group (年代) and area (地区).

Optional and never required: the first time, the consent text (what is kept, why, how long, that it is optional;
docs/privacy.md) comes before anything is asked, and 「登録しない」 is as easy as 「登録する」. The resident is
also offered it once, after finishing their first survey (`offer_once`). Every choice is a postback (`a=pf`)
checked against the fixed age groups and the city's areas (bot/storage/profiles.py), so a forged or outdated
one changes nothing and gets a clear message. Saving is the consent (`profiles.CONSENT_VERSION`); deleting
also removes the profile's data from the survey analytics (`profiles.delete_profile`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.messages import Messages as Wording
from bot.storage import conversations, profiles
from bot.surveys.definition import SurveyError
from channels.line import survey_messages as sm
from channels.line.messages import encode_postback

ACTION = "pf"
KEYWORDS = frozenset({"登録情報", "登録情報の確認", "登録情報の変更", "登録情報を変更"})
OFFERED_KEY = "profile_offered"  # preferences: the resident was offered the profile once (after a survey)
PAGE = 11  # areas per page of quick replies (with 「ほかの地区」 and 「答えない」)

Messages = list[dict[str, Any]]


def data(op: str, **fields: Any) -> str:
    return encode_postback(ACTION, o=op, **{k: str(v) for k, v in fields.items() if v is not None})


@dataclass
class Registration:
    """One resident's 登録情報 conversation in one transaction."""

    w: Wording
    session: Session
    sender: str
    city_dir: Path | None = None  # where the city's areas come from when no garbage dataset was imported
    _areas: list[str] | None = None

    def consent(self, head: Sequence[str] = ()) -> Messages:
        choices = [
            (self.w.text("profile_line_button_register"), data("yes")),
            (self.w.text("profile_line_button_decline"), data("no")),
        ]
        return sm.ask([*head, self.w.text("profile_line_consent")], choices)

    def show(self) -> Messages:
        profile = profiles.get_profile(self.session, self.sender)
        if profile is None or profile.consent_version != profiles.CONSENT_VERSION:
            return self.consent()  # never asked, or agreed to an earlier consent text: asked again
        unset = self.w.text("profile_line_unset")
        text = self.w.text("profile_line_show", age=profile.age_group or unset, area=profile.area or unset)
        return sm.ask([text], self.menu())

    def menu(self) -> list[sm.Choice]:
        choices = [(self.w.text("profile_line_button_age"), data("age"))]
        if self.areas():
            choices.append((self.w.text("profile_line_button_area"), data("area")))
        choices.append((self.w.text("profile_line_button_delete"), data("del")))
        choices.append((self.w.text("profile_line_button_keep"), data("keep")))
        return choices

    def areas(self) -> list[str]:
        if self._areas is None:
            self._areas = profiles.known_areas(self.session, self.city_dir)
        return self._areas

    def ask_age(self, first: bool, notice: str = "") -> Messages:
        flag = "1" if first else None
        choices = [(age, data("setage", v=age, f=flag)) for age in profiles.AGE_GROUPS]
        choices.append((self.w.text("profile_line_button_no_answer"), data("setage", v="", f=flag)))
        return sm.ask([notice, self.w.text("profile_line_ask_age")], choices)

    def ask_area(self, page: int = 0, notice: str = "") -> Messages:
        areas = self.areas()
        if not areas:
            return self.saved()
        shown = areas[page * PAGE : (page + 1) * PAGE]
        if not shown:
            shown, page = areas[:PAGE], 0
        choices = [(area, data("setarea", v=area)) for area in shown]
        if len(areas) > (page + 1) * PAGE:
            choices.append((self.w.text("profile_line_button_more"), data("area", p=page + 1)))
        choices.append((self.w.text("profile_line_button_no_answer"), data("setarea", v="")))
        return sm.ask([notice, self.w.text("profile_line_ask_area")], choices)

    def saved(self) -> Messages:
        profile = profiles.get_profile(self.session, self.sender)
        if profile is None:
            return sm.ask([self.w.text("profile_line_declined")])
        unset = self.w.text("profile_line_unset")
        text = self.w.text("profile_line_saved", age=profile.age_group or unset, area=profile.area or unset)
        return sm.ask([text])

    def store(self, *, age_group: str | None, area: str | None) -> Messages | None:
        """Save the profile; None when saved, else what to say (nothing chosen, or a refused value)."""
        if not age_group and not area:  # nothing left to keep: no profile rather than an empty one
            profiles.delete_profile(self.session, self.sender)
            return sm.ask([self.w.text("profile_line_declined")])
        try:
            profiles.set_profile(
                self.session, self.sender, age_group=age_group, area=area, areas=self.areas()
            )
        except SurveyError as exc:
            return sm.ask([exc.message, self.w.text("profile_line_bad")], self.menu())
        return None

    def set_age(self, fields: dict[str, str]) -> Messages:
        value = fields.get("v", "")
        if value and value not in profiles.AGE_GROUPS:
            return self.ask_age(fields.get("f") == "1", self.w.text("profile_line_bad"))
        profile = profiles.get_profile(self.session, self.sender)
        area = profile.area if profile is not None else None
        if fields.get("f") == "1" and self.areas():  # the first time: the area next, then one save
            if value:
                refused = self.store(age_group=value, area=area)
                if refused is not None:
                    return refused
            return self.ask_area()
        return self.store(age_group=value or None, area=area) or self.saved()

    def set_area(self, fields: dict[str, str]) -> Messages:
        value = fields.get("v", "")
        if value and value not in self.areas():
            return self.ask_area(notice=self.w.text("profile_line_bad"))
        profile = profiles.get_profile(self.session, self.sender)
        age = profile.age_group if profile is not None else None
        return self.store(age_group=age, area=value or None) or self.saved()

    def decline(self) -> Messages:
        """「登録しない」: nothing is kept; a profile agreed under an earlier consent text goes too."""
        profile = profiles.get_profile(self.session, self.sender)
        if profile is not None and profile.consent_version != profiles.CONSENT_VERSION:
            profiles.delete_profile(self.session, self.sender)
        return sm.ask([self.w.text("profile_line_declined")])

    def delete(self, confirmed: bool) -> Messages:
        if not confirmed:
            choices = [
                (self.w.text("profile_line_button_delete"), data("delok")),
                (self.w.text("profile_line_button_keep"), data("keep")),
            ]
            return sm.ask([self.w.text("profile_line_delete_confirm")], choices)
        if profiles.delete_profile(self.session, self.sender):
            return sm.ask([self.w.text("profile_line_deleted")])
        return sm.ask([self.w.text("profile_line_nothing")])

    def postback(self, fields: dict[str, str]) -> Messages:
        op = fields.get("o", "")
        page = fields.get("p", "")
        steps: dict[str, Callable[[], Messages]] = {
            "show": self.show,
            "yes": lambda: self.ask_age(first=True),
            "no": self.decline,
            "age": lambda: self.ask_age(first=False),
            "area": lambda: self.ask_area(int(page) if page.isdigit() and len(page) < 5 else 0),
            "setage": lambda: self.set_age(fields),
            "setarea": lambda: self.set_area(fields),
            "del": lambda: self.delete(False),
            "delok": lambda: self.delete(True),
            "keep": lambda: sm.ask([self.w.text("profile_line_kept")]),
        }
        step = steps.get(op)
        return step() if step is not None else sm.ask([self.w.text("profile_line_bad")])


def offer_once(w: Wording, session: Session, sender: str, head: Sequence[str]) -> Messages | None:
    """`head` followed by the consent question, the first time a resident without a profile finishes a survey;
    None when they have a profile or were offered it before."""
    if profiles.get_profile(session, sender) is not None:
        return None
    if conversations.get_preference(session, sender, OFFERED_KEY):
        return None
    conversations.set_preference(session, sender, OFFERED_KEY, "1")
    return Registration(w, session, sender).consent(head)
