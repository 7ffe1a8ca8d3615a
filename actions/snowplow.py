"""`action_snowplow`: has the resident's area been plowed, from the vehicles' GPS positions.

Out of the snow season it says so. The area is the one named in the message, else the remembered
garbage area (the same area names), else it asks. Without an area, the city's FAQ answers first when its search
is sure (「除雪の出動基準は？」 is a question for the FAQ, not for the vehicles' positions).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq_answer import answer_sure_or_offer
from actions.garbage import AREA_KEY, latest_text, remember_area, remembered_area
from actions.runtime import RuntimeAction, meta
from bot.storage import citydata
from knowledge.clock import to_city_time, to_utc_naive
from knowledge.snowplow import in_season, last_plowed, match_area
from knowledge.topics import mentions_topic

LOOKBACK = timedelta(hours=24)
AREA_QUESTION = "utter_ask_snowplow_area"


class ActionSnowplow(RuntimeAction):
    def name(self) -> str:
        return "action_snowplow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        rt = self.rt
        data, text = rt.city(), latest_text(tracker)
        now = rt.clock.now()  # city time, naive
        named = match_area(data.snowplow_areas, text)
        area = named
        if area is None:
            known = remembered_area(rt, tracker, data)
            area = next((a for a in data.snowplow_areas if a.name == known), None)
        # No area to look up: a sure FAQ answer first; when the FAQ is only torn, its close entries and then the
        # area question (or that the season is over), unless the city has no snowplow areas or the message does
        # not name snow at all (NLU's guess): then the FAQ's close entries alone.
        if area is None and answer_sure_or_offer(
            rt,
            dispatcher,
            tracker,
            offer=not data.snowplow_areas or not mentions_topic("snow", text),
            also=True,
        ):
            return []
        road = data.city.road_emergency
        # the responses that end with where to report a dangerous road, when the city has a number for it
        road_fill = {"road_label": road.label, "road_phone": road.phone} if road.phone else {}
        road_suffix = "_road" if road.phone else ""
        start, end = data.city.snow_season
        page = data.city.pages.get("snowplow")
        link = {"label": "除雪情報（市のページ）", "url": page} if page else None
        if not in_season(now.date(), start, end):
            s_m, s_d = (int(v) for v in start.split("-"))
            e_m, e_d = (int(v) for v in end.split("-"))
            dispatcher.utter_message(
                response=f"utter_snowplow_off_season{road_suffix}",
                start=f"{s_m}月{s_d}日",
                end=f"{e_m}月{e_d}日",
                **road_fill,
            )
            dispatcher.utter_message(json_message=meta(kind="snowplow", link=link))
            return []
        events: list[dict[str, Any]] = []
        if named is not None and named.name in data.garbage.areas():
            remember_area(rt, tracker.sender_id, named.name)
            events.append(SlotSet(AREA_KEY, named.name))
        if area is None:
            buttons = [{"title": a.name, "payload": f"{a.name}の除雪"} for a in data.snowplow_areas[:12]]
            dispatcher.utter_message(response=AREA_QUESTION, buttons=buttons)
            dispatcher.utter_message(json_message=meta(kind="snowplow"))
            return events
        now_utc = to_utc_naive(now)
        with rt.factory() as session:
            positions = citydata.positions_since(session, now_utc - LOOKBACK, now_utc)
        last = last_plowed(area, positions)
        fill: dict[str, Any] = {"area": area.name, "map_url": area.map_url, **road_fill}
        if last is None:
            dispatcher.utter_message(response=f"utter_snowplow_not_yet{road_suffix}", **fill)
        else:
            local = to_city_time(last).replace(tzinfo=None)
            today = local.date() == now.date()
            dispatcher.utter_message(
                response=f"utter_snowplow_passed_{'today' if today else 'yesterday'}{road_suffix}",
                time=f"{local.hour}時{local.minute:02d}分",
                **fill,
            )
        dispatcher.utter_message(json_message=meta(kind="snowplow", link=link))
        return events
