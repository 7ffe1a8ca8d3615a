"""`action_department`: which department handles a matter, where it is, its phone and whether it is open now.

A message that matches no department (by name or topic) is answered by the city's FAQ when its search is sure,
else with the general counter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq_answer import answer_if_sure, answer_sure_or_offer
from actions.garbage import latest_text
from actions.runtime import RuntimeAction, meta
from knowledge.dates import format_day
from knowledge.departments import Department, is_open, next_open


def department_answer(dept: Department, now: datetime) -> dict[str, Any]:
    """The response that says where the department is and whether it is open, with its placeholders."""
    fields = {"name": dept.name, "floor": dept.floor, "phone": dept.phone, "hours": dept.hours_text()}
    if is_open(dept, now):
        return {"response": "utter_department_open", **fields}
    opens = next_open(dept, now)
    if opens is None:
        return {"response": "utter_department_closed", **fields}
    reopen = {"reopen_day": format_day(opens.date()), "reopen_time": f"{opens.hour}:{opens.minute:02d}"}
    return {"response": "utter_department_closed_until", **fields, **reopen}


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
                response="utter_department_unknown",
                label=c.label,
                counter=c.counter,
                phone=c.phone,
                hours=c.hours,
            )
            dispatcher.utter_message(json_message=meta(kind="department", fallback=True))
            return []
        # the city's FAQ on the question first when the search is sure (「親の介護のこと、どこに相談したら」:
        # what to do, not only where), its close entries when torn; then the department, as asked
        answer_sure_or_offer(self.rt, dispatcher, tracker, offer=False, also=True)
        dispatcher.utter_message(**department_answer(found[0], now))
        buttons = [{"title": d.name, "payload": f"{d.name}の連絡先"} for d in found[1:]]
        if buttons:
            dispatcher.utter_message(response="utter_department_others", buttons=buttons)
        dispatcher.utter_message(json_message=meta(kind="department"))
        return []
