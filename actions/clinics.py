"""`action_holiday_clinic`: which clinics are on holiday duty (休日当番医) on the day asked about.

Always ends with where to turn when unsure (#7119, #8000) and the emergency number. A message naming no day
gets the city's FAQ answer when its search is sure, else the next duty day (or, with none ahead, the FAQ's close
entries).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq_answer import answer_sure_or_offer
from actions.garbage import latest_text
from actions.runtime import RuntimeAction, meta
from bot.live_citydata import CityData
from knowledge.clinics import Clinic, DutyDay
from knowledge.dates import format_day, parse_day_range
from knowledge.topics import mentions_topic


def clinic_lines(clinic: Clinic) -> list[str]:
    lines = [f"・{clinic.name}（{clinic.specialty}）{clinic.hours_text.replace('-', '〜')}",
             f"　{clinic.address}　電話 {clinic.phone}"]  # fmt: skip
    if clinic.map_url:
        lines.append(f"　地図 {clinic.map_url}")
    return lines


def duty_lines(duty: DutyDay, *, heading: bool = True) -> list[str]:
    lines = [f"【{format_day(duty.day)}】"] if heading else []
    for clinic in duty.clinics:
        lines += clinic_lines(clinic)
    return lines


def safety_fill(data: CityData) -> dict[str, str]:
    """The placeholders of the closing lines every answer has: where to turn when unsure, the emergency number."""
    advice = [f"・{a.text()}" + (f"…{a.note}" if a.note else "") for a in data.city.advice_lines]
    return {"advice": "\n".join(advice), "emergency": data.city.emergency.number}


class ActionHolidayClinic(RuntimeAction):
    def name(self) -> str:
        return "action_holiday_clinic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        data, text = self.rt.city(), latest_text(tracker)
        now = self.rt.clock.now()
        roster = data.clinics
        period = parse_day_range(text, now.date())
        # No day asked about: a sure answer from the city's FAQ comes first (NLU sends questions about clinics,
        # dentists or night care here too); when the FAQ is only torn, the roster's next duty day is the more
        # useful answer, with the FAQ's close entries beside it, and only with no duty day ahead, or when the
        # message names nothing medical (NLU's guess), are the FAQ's close entries offered instead. A day in a
        # message that names nothing medical (「平日役場行けないんだけど、土日やってる？」) is the FAQ's too. A day
        # and a medical word: that day's roster, after the FAQ's sure answer or close entries (「日曜に子どもが
        # 熱出した」: the city's page on children's night care beside who is on duty).
        medical = mentions_topic("clinic", text)
        if period is not None and medical:
            answer_sure_or_offer(self.rt, dispatcher, tracker, offer=False, also=True)
        elif answer_sure_or_offer(
            self.rt,
            dispatcher,
            tracker,
            offer=not medical or roster.next_open(now) is None,
            also=True,
        ):
            return []
        fill: dict[str, Any] = safety_fill(data)
        if period is None:
            duty = roster.next_open(now)
            if duty is None:
                name = "utter_clinic_none_planned"
            else:
                today = duty.day == now.date()
                name = "utter_clinic_today" if today else "utter_clinic_next"
                fill |= {"day": format_day(duty.day), "clinics": "\n".join(duty_lines(duty, heading=False))}
        elif period.is_single:
            fill["day"] = format_day(period.start)
            clinics = roster.on(period.start, now)
            if clinics:
                name = "utter_clinic_day"
                fill["clinics"] = "\n".join(duty_lines(DutyDay(period.start, tuple(clinics)), heading=False))
            else:
                closed = period.start == now.date() and roster.on(period.start)
                name = "utter_clinic_day_closed" if closed else "utter_clinic_day_none"
                later = [d for d in roster.days() if d > period.start]
                nxt = roster.next_open(now) if not later else DutyDay(later[0], tuple(roster.on(later[0])))
                if nxt is not None:
                    name += "_next"
                    fill |= {
                        "next_day": format_day(nxt.day),
                        "clinics": "\n".join(duty_lines(nxt, heading=False)),
                    }
        else:
            fill |= {"period": period.label, "start": format_day(period.start), "end": format_day(period.end)}
            duties = roster.between(period.start, period.end, now)
            if duties:
                name = "utter_clinic_period"
                fill["clinics"] = "\n".join(line for duty in duties for line in duty_lines(duty))
            else:
                name = "utter_clinic_period_none"
        dispatcher.utter_message(response=name, **fill)
        page = data.city.pages.get("clinics")
        dispatcher.utter_message(
            json_message=meta(
                kind="clinic", link={"label": "休日当番医（市のページ）", "url": page} if page else None
            )
        )
        return []
