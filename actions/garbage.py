"""`action_garbage_day` and `action_garbage_item`: collection days per area and how to sort an item.

The resident's area is asked once, then remembered in the slot `garbage_area` and the stored
preference of the same name; 「地区を変更」 forgets it and asks again. Before asking for an area, and before
offering item choices or giving up on an item, the city's FAQ answers when its search is sure
(「粗大ごみの出し方を教えて」 is an FAQ question, not an item of the sorting dictionary).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq_answer import answer_if_sure, answer_if_sure_about, answer_sure_or_offer
from actions.runtime import Runtime, RuntimeAction, meta
from bot.live_citydata import CityData
from bot.storage import conversations
from bot.storage.db import transaction
from knowledge.dates import format_day, parse_day_range
from knowledge.topics import mentions_topic

AREA_KEY = "garbage_area"
CHANGE_AREA_WORDS = (
    "地区を変更",
    "地区の変更",
    "地区変更",
    "地域を変更",
    "住所を変更",
    "地区を変え",
    "地区をかえ",
)
CHANGE_AREA_LABEL = "地区を変更"
CONFIDENT_ITEM = 0.75
MAYBE_ITEM = 0.5


def latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def wants_area_change(text: str) -> bool:
    return any(w in text for w in CHANGE_AREA_WORDS)


def remembered_area(rt: Runtime, tracker: Tracker, data: CityData) -> str | None:
    """The area from the slot (validated against the calendar) or the stored preference."""
    slot = tracker.get_slot(AREA_KEY)
    if slot:
        area = slot if slot in data.garbage.areas() else data.garbage.match_area(str(slot))
        if area:
            return area
    with rt.factory() as session:
        stored = conversations.get_preference(session, tracker.sender_id, AREA_KEY)
    return stored if stored in data.garbage.areas() else None


def remember_area(rt: Runtime, resident_key: str, area: str | None) -> None:
    with transaction(rt.factory) as session:
        conversations.set_preference(session, resident_key, AREA_KEY, area or "")


def find_area(
    rt: Runtime, tracker: Tracker, data: CityData, text: str
) -> tuple[str | None, list[dict[str, Any]], list[str]]:
    """The area to answer for, the events that remember it (a newly named area is stored), and the areas
    the text names equally well when it names several (「荏原」: 荏原1丁目, 荏原2～4丁目 …) — then no area."""
    named = data.garbage.area_candidates(text, limit=len(data.garbage.areas()))
    if len(named) == 1:
        remember_area(rt, tracker.sender_id, named[0])
        return named[0], [SlotSet(AREA_KEY, named[0])], []
    if named:
        return None, [], named
    area = remembered_area(rt, tracker, data)
    events = [] if area == tracker.get_slot(AREA_KEY) else [SlotSet(AREA_KEY, area)]
    return area, events, []


def resolve_area(
    rt: Runtime, tracker: Tracker, data: CityData, text: str
) -> tuple[str | None, list[dict[str, Any]]]:
    """The area to answer for and the events that remember it; several areas named equally is none named."""
    area, events, candidates = find_area(rt, tracker, data, text)
    if candidates:
        area = remembered_area(rt, tracker, data)
        events = [] if area == tracker.get_slot(AREA_KEY) else [SlotSet(AREA_KEY, area)]
    return area, events


AREA_QUESTION = "utter_ask_garbage_area"  # the prefix of every response that asks for the garbage area
MAX_AREA_BUTTONS = 12


def ask_area(
    dispatcher: CollectingDispatcher,
    data: CityData,
    suffix: str,
    kind: str,
    reset: bool = False,
    candidates: list[str] | None = None,
) -> None:
    """Ask for the area (after saying the remembered one was forgotten, when `reset`): with the candidates the
    resident's words fit, or every area when the city has few; a city with many areas gets an example to type
    instead of the first dozen of them."""
    areas = data.garbage.areas()
    again = "_again" if reset else ""
    fill: dict[str, Any] = {}
    if candidates and len(candidates) > MAX_AREA_BUTTONS:
        shown, name, fill = candidates, "utter_ask_garbage_area_many_candidates", {"count": len(candidates)}
    elif candidates:
        shown, name = candidates, "utter_ask_garbage_area_candidates"
    elif len(areas) <= MAX_AREA_BUTTONS:
        shown, name = areas, f"utter_ask_garbage_area{again}"
    else:
        example = data.garbage.area(areas[0]).town or areas[0]
        shown, name, fill = [], f"utter_ask_garbage_area{again}_example", {"example": example}
    buttons = [{"title": a[:20], "payload": f"{a}{suffix}"} for a in shown[:MAX_AREA_BUTTONS]]
    dispatcher.utter_message(response=name, buttons=buttons, **fill)
    dispatcher.utter_message(json_message=meta(kind=kind))


def last_exchange(tracker: Tracker) -> tuple[str, str]:
    """(the resident's message before the latest one, what the bot last said in between), "" when none."""
    events = list(tracker.events or [])
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if len(users) < 2:
        return "", ""
    before, latest = users[-2], users[-1]
    said = [e.get("text") for e in events[before:latest] if e.get("event") == "bot" and e.get("text")]
    return str(events[before].get("text") or ""), str(said[-1]) if said else ""


def asked_with(tracker: Tracker, prefix: str) -> bool:
    """Whether the bot, since the resident's message before the latest one, sent a domain.yml response whose
    name starts with `prefix` (Rasa records the name as `utter_action` in the bot event's metadata)."""
    events = list(tracker.events or [])
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if len(users) < 2:
        return False
    said = [e for e in events[users[-2] : users[-1]] if e.get("event") == "bot"]
    return any(str((e.get("metadata") or {}).get("utter_action") or "").startswith(prefix) for e in said)


def question_answered(tracker: Tracker) -> str:
    """The resident's earlier question when the latest message answers the area question asked about it
    (「明日は燃えるごみの日？」→ area asked →「中央地区」: the day and category asked about still count), else ""."""
    question, _said = last_exchange(tracker)
    return question if asked_with(tracker, AREA_QUESTION) else ""


def day_line(data: CityData, area: str, day: date, prefix: str = "") -> str:
    """「明日9月20日（日）は「燃やすごみ」の日です。」 or why nothing is collected."""
    cal = data.garbage
    cats = cal.collections_on(area, day)
    when = prefix + format_day(day)
    if cats:
        return f"{when}は「{'」「'.join(cats)}」の日です。"
    reasons = {cal.skip_reason(area, c, day) for c in cal.categories()} - {None}
    if "suspended" in reasons:
        return f"{when}は年末年始の休止期間のため、収集はありません。"
    if "holiday" in reasons:
        return f"{when}は祝日のため、収集はありません。"
    return f"{when}は収集がありません。"


def next_any(data: CityData, area: str, after: date) -> tuple[date, list[str]] | None:
    for offset in range(1, 60):
        day = after + timedelta(days=offset)
        cats = data.garbage.collections_on(area, day)
        if cats:
            return day, cats
    return None


def notes_for(data: CityData, area: str, categories: list[str]) -> list[str]:
    """The remarks the area's cells point to, then what the city says about by when to put garbage out."""
    notes: list[str] = []
    for c in categories:
        notes += [n for n in data.garbage.remarks_for(area, c) if n not in notes]
    rules = data.garbage.put_out_rules(list(dict.fromkeys(categories)))
    return notes + [r for r in rules if not any(r in n for n in notes)]


def next_lines(data: CityData, area: str, categories: list[str], day0: date) -> list[str]:
    """「中央地区の次の「燃やさないごみ」は10月14日（水）です（第2水曜日）。」 for each category."""
    cal, lines = data.garbage, []
    for category in categories:
        nxt = cal.next_collection(area, category, day0, inclusive=True)
        rule = cal.describe(area, category)
        if nxt is None:
            lines.append(f"{area}の「{category}」は、しばらく収集予定がありません（{rule}）。")
        else:
            when = "今日" if nxt == day0 else format_day(nxt)
            lines.append(f"{area}の次の「{category}」は{when}です（{rule}）。")
    return lines


class ActionGarbageDay(RuntimeAction):
    def name(self) -> str:
        return "action_garbage_day"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        data, text, day0 = self.rt.city(), latest_text(tracker), self.rt.clock.today()
        if wants_area_change(text) and not data.garbage.match_area(text.split("変更")[-1]):
            remember_area(self.rt, tracker.sender_id, None)
            ask_area(dispatcher, data, "のごみの日", "garbage", reset=True)
            return [SlotSet(AREA_KEY, None)]
        area, events, candidates = find_area(self.rt, tracker, data, text)
        if candidates:
            ask_area(dispatcher, data, "のごみの日", "garbage", candidates=candidates)
            return events
        if area is None:
            # No area to compute days for: a sure FAQ answer comes first; when the FAQ is only torn, its close
            # entries and then the area question (which leads to the resident's own days) — unless the message
            # does not even name garbage (NLU's guess): then the FAQ's close entries alone.
            if answer_sure_or_offer(
                self.rt,
                dispatcher,
                tracker,
                offer=not data.garbage.areas() or not mentions_topic("garbage", text),
                also=True,
            ):
                return []
            ask_area(dispatcher, data, "のごみの日", "garbage")
            return events
        cal = data.garbage
        period = parse_day_range(text, day0)
        categories = cal.match_categories(text)
        if period is None and not categories:  # only the area: answer the question it completes
            earlier = question_answered(tracker)
            period, categories = parse_day_range(earlier, day0), cal.match_categories(earlier)
        lines: list[str] = []
        fill: dict[str, Any] = {"area": area}
        if categories and period is None:
            lines += next_lines(data, area, categories, day0)
            shown, name = categories, "utter_garbage_next"
        elif period is not None and not period.is_single:
            name = "utter_garbage_period"
            fill |= {"period": period.label, "start": format_day(period.start), "end": format_day(period.end)}
            d, shown = period.start, []
            while d <= period.end:
                lines.append("・" + day_line(data, area, d))
                shown += cal.collections_on(area, d)
                d += timedelta(days=1)
        else:
            days = [period.start] if period else [day0, day0 + timedelta(days=1)]
            name, shown = "utter_garbage_days", []
            for d in days:
                prefix = "今日" if d == day0 else "明日" if d == day0 + timedelta(days=1) else ""
                lines.append("・" + day_line(data, area, d, prefix))
                shown += cal.collections_on(area, d)
            if not shown:
                found = next_any(data, area, days[-1])
                if found:
                    lines.append(f"次の収集は{format_day(found[0])}の「{'」「'.join(found[1])}」です。")
        lines += ["※" + n for n in notes_for(data, area, shown)]
        buttons = [
            {"title": "明日のごみ", "payload": "明日のごみは？"},
            {"title": CHANGE_AREA_LABEL, "payload": CHANGE_AREA_LABEL},
        ]
        dispatcher.utter_message(response=name, buttons=buttons, lines="\n".join(lines), **fill)
        page = data.city.pages.get("garbage")
        dispatcher.utter_message(
            json_message=meta(
                kind="garbage", link={"label": "ごみの出し方（市のページ）", "url": page} if page else None
            )
        )
        return events


def is_confident(matches: list[Any]) -> bool:
    """The best item is clear: near-exact, or good with no close runner-up in another category."""
    best = matches[0]
    if best.score >= 0.95:
        return True
    rivals = [m for m in matches[1:] if m.category != best.category and best.score - m.score < 0.1]
    return best.score >= CONFIDENT_ITEM and not rivals


class ActionGarbageItem(RuntimeAction):
    def name(self) -> str:
        return "action_garbage_item"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        data, text = self.rt.city(), latest_text(tracker)
        matches = data.garbage.categorize(text, limit=5, min_score=MAYBE_ITEM)
        if matches and is_confident(matches[:3]):
            best = matches[0]
            # the same item in another category under a condition (茅ヶ崎市: 車の部品 処理困難物 / 大型ごみ)
            ways = [m for m in matches if m.item == best.item]
            ways = [m for i, m in enumerate(ways) if m.category not in {w.category for w in ways[:i]}]
            lines: list[str] = []
            if best.note:
                lines.append(best.note)
            for other in ways[1:]:
                lines.append(
                    f"ただし、「{other.category}」になる場合もあります"
                    + (f"：{other.note}" if other.note else "。")
                )
            area, events = resolve_area(self.rt, tracker, data, text)
            name = "utter_garbage_item"
            column = data.garbage.column_of(best.category)
            if column:
                if area:
                    today = self.rt.clock.today()
                    nxt = data.garbage.next_collection(area, column, today, inclusive=True)
                    if nxt:
                        lines.append(f"{area}の次の「{column}」の収集は{format_day(nxt)}です。")
                else:
                    name = "utter_garbage_item_ask_area"
            info = data.garbage.category_info(column or best.category).description
            # the city's FAQ entry on this very item, when the search is sure of one, comes first (its close
            # entries when it is torn)
            answer_if_sure_about(self.rt, dispatcher, tracker, [best.item])
            details = "".join("\n" + line for line in lines)
            info = "\n" + info if info and not best.note else ""
            dispatcher.utter_message(
                response=name, item=best.item, category=best.category, details=details, info=info
            )
            page = data.city.pages.get("garbage")
            link = {"label": "ごみの分け方（市のページ）", "url": page} if page else None
            dispatcher.utter_message(json_message=meta(kind="garbage", link=link))
            return events
        # No clear item of the city's sorting dictionary: what the FAQ says, when it is sure, wins.
        if answer_if_sure(self.rt, dispatcher, tracker):
            return []
        if matches:
            buttons = [{"title": m.item[:20], "payload": f"{m.item}は何ごみ？"} for m in matches]
            dispatcher.utter_message(response="utter_garbage_item_choose", buttons=buttons)
            dispatcher.utter_message(json_message=meta(kind="garbage"))
            return []
        return self._unknown(dispatcher, data)

    def _unknown(self, dispatcher: CollectingDispatcher, data: CityData) -> list[dict[str, Any]]:
        page = data.city.pages.get("garbage") or data.city.website
        dispatcher.utter_message(response="utter_garbage_item_unknown", page=page, **self.rt.contact_fill())
        dispatcher.utter_message(
            json_message=meta(kind="unknown", fallback=True, link={"label": "ごみの分け方", "url": page})
        )
        return []
