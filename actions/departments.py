"""`action_department`: which department handles a matter, where it is, its phone and whether it is open now.

A message that matches no department (by name or topic) is answered by the city's FAQ when its search is sure,
else with the general counter.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq_answer import answer_if_sure
from actions.garbage import latest_text
from actions.runtime import RuntimeAction, meta
from knowledge.dates import format_day
from knowledge.departments import Department, is_open, next_open


def department_text(dept: Department, now_open: bool, reopen: str) -> str:
    status = "ただいま受付時間内です。" if now_open else f"ただいま受付時間外です。{reopen}"
    return (f"{dept.name}（{dept.floor}）\n電話 {dept.phone}\n受付 {dept.hours_text()}\n{status}").strip()


class ActionDepartment(RuntimeAction):
    def name(self) -> str:
        return "action_department"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        data, text = self.rt.city(), latest_text(tracker)
        now = self.rt.clock.now()
        found = data.departments.find(text, limit=3)
        if not found:
            if answer_if_sure(self.rt, dispatcher, tracker):
                return []
            c = data.city.contact
            dispatcher.utter_message(
                text="どの課の担当か、はっきり分かりませんでした。次の窓口でご案内します。\n"
                f"{c.label}（{c.counter}）電話 {c.phone}　{c.hours}"
            )
            dispatcher.utter_message(json_message=meta(kind="department", fallback=True))
            return []
        dept = found[0]
        opens = next_open(dept, now)
        reopen = (
            f"次の受付は{format_day(opens.date())} {opens.hour}:{opens.minute:02d}からです。" if opens else ""
        )
        lines = ["担当の窓口はこちらです。", department_text(dept, is_open(dept, now), reopen)]
        buttons = [{"title": d.name, "payload": f"{d.name}の連絡先"} for d in found[1:]]
        if buttons:
            lines.append("ほかに関係しそうな窓口もあります。")
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons or None)
        dispatcher.utter_message(json_message=meta(kind="department"))
        return []
