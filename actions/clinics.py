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


def safety_lines(data: CityData) -> list[str]:
    lines = ["受診の前に、必ず電話で確認してください。", "迷ったときの相談先："]
    lines += [f"・{a.text()}" + (f"…{a.note}" if a.note else "") for a in data.city.advice_lines]
    lines.append(
        f"意識がない・呼吸が苦しいなど命に関わるときは、ためらわず{data.city.emergency.number}番へ。"
    )
    return lines


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
        # useful answer, and only with no duty day ahead are the FAQ's close entries offered.
        if period is None and answer_sure_or_offer(
            self.rt, dispatcher, tracker, offer=roster.next_open(now) is None
        ):
            return []
        lines: list[str] = []
        if period is None:
            duty = roster.next_open(now)
            if duty is None:
                lines.append("現在、案内できる休日当番医の予定がありません。")
            else:
                when = "本日" if duty.day == now.date() else format_day(duty.day)
                lines.append(f"{when}の休日当番医です。")
                lines += duty_lines(duty, heading=False)
        elif period.is_single:
            clinics = roster.on(period.start, now)
            if clinics:
                lines.append(f"{format_day(period.start)}の休日当番医です。")
                lines += duty_lines(DutyDay(period.start, tuple(clinics)), heading=False)
            else:
                if period.start == now.date() and roster.on(period.start):
                    lines.append(f"{format_day(period.start)}の休日当番医の受付時間は終了しました。")
                else:
                    lines.append(
                        f"{format_day(period.start)}は休日当番医の指定がありません"
                        "（当番医は日曜・祝日・年末年始です）。平日・土曜はかかりつけの医療機関へ。"
                    )
                later = [d for d in roster.days() if d > period.start]
                nxt = roster.next_open(now) if not later else DutyDay(later[0], tuple(roster.on(later[0])))
                if nxt is not None:
                    lines.append(f"次の当番医は{format_day(nxt.day)}です。")
                    lines += duty_lines(nxt, heading=False)
        else:
            duties = roster.between(period.start, period.end, now)
            if duties:
                lines.append(f"{period.label}の休日当番医です。")
                for duty in duties:
                    lines += duty_lines(duty)
            else:
                lines.append(
                    f"{period.label}（{format_day(period.start)}〜{format_day(period.end)}）の当番医の情報はまだありません。"
                )
        lines.append("")
        lines += safety_lines(data)
        dispatcher.utter_message(text="\n".join(lines))
        page = data.city.pages.get("clinics")
        dispatcher.utter_message(
            json_message=meta(
                kind="clinic", link={"label": "休日当番医（市のページ）", "url": page} if page else None
            )
        )
        return []
