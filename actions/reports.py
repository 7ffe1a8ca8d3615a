"""Resident reports once the form is done: `action_submit_report`, `action_cancel_form` and
`action_report_status`. The form itself (`validate_report_form` and its questions) is `actions/report_form.py`.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop
from rasa_sdk.executor import CollectingDispatcher

from actions.faq_answer import answer_if_sure
from actions.report_form import CANCELLED, form_ended
from actions.report_parsing import (
    CANCEL_WORDS,
    CASE_NUMBER,
    FORM,
    SLOTS,
    decode_location,
    latest_text,
    normalize,
    own_photos,
    reset_events,
)
from actions.runtime import RuntimeAction, message_metadata, meta
from bot.alerts import record_staff_alert
from bot.reports.notifications import status_words
from bot.reports.service import ReportDraft, SubmitOutcome, reports_of, submit_report
from bot.reports.spool import spool_draft
from bot.storage.db import transaction
from knowledge.clock import to_city_time

log = logging.getLogger(__name__)

DECLINED = "utter_report_declined"


def _channel(tracker: Tracker, metadata: dict[str, Any]) -> str:
    channel = metadata.get("channel")
    if isinstance(channel, str) and channel:
        return channel[:16]
    return "line" if tracker.sender_id.startswith("line-") else "web"


class ActionSubmitReport(RuntimeAction):
    def name(self) -> str:
        return "action_submit_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        form_ended(self.rt, tracker)
        confirm = tracker.get_slot("report_confirm")
        if confirm == "no":
            dispatcher.utter_message(response=DECLINED)
            return reset_events()
        if confirm != "yes" or not tracker.get_slot("report_category"):
            return reset_events()  # the form ended without a confirmed report (cancelled): nothing to do
        draft, lost = self.draft(tracker)
        try:
            with transaction(self.rt.factory) as session:
                outcome = submit_report(session, draft, self.rt.categories(), clock=self.rt.clock)
        except Exception:
            log.exception("report could not be stored; spooling it")
            self.spool(dispatcher, draft)
            return reset_events()
        if lost:
            record_staff_alert(
                self.rt.factory,
                "report_photo_missing",
                f"{outcome.case_number}: 写真{lost}枚を保存できず、写真なしで受け付けました",
                {"case_number": outcome.case_number, "missing": lost},
            )
        self.accepted(dispatcher, outcome, lost, draft.channel)
        return reset_events()

    def draft(self, tracker: Tracker) -> tuple[ReportDraft, int]:
        """The report from the form's slots, and how many of its photos were lost on the way."""
        metadata = message_metadata(tracker)
        lat, lon, address = decode_location(tracker.get_slot("report_location"))
        photos = tracker.get_slot("report_photos")
        wanted = photos if isinstance(photos, list) else []
        kept = own_photos(self.rt.photos(), wanted, tracker.sender_id)
        draft = ReportDraft(
            category=tracker.get_slot("report_category"),
            description=tracker.get_slot("report_description") or "",
            reporter=tracker.sender_id,
            channel=_channel(tracker, metadata),
            reporter_ref=str(metadata.get("resident_key") or "")[:128],
            lat=lat,
            lon=lon,
            address_text=address,
            photo_ids=kept,
        )
        return draft, len(wanted) - len(kept)

    def spool(self, dispatcher: CollectingDispatcher, draft: ReportDraft) -> None:
        """The database is down: keep the report on disk for staff, and say no case number can be given."""
        phone = self.rt.contact()[1]
        try:
            spool_draft(self.rt.settings.data_dir / "spool" / "reports", draft)
            name = "utter_report_spooled"
        except OSError:
            log.exception("report spool failed too")
            name = "utter_report_not_received"
        dispatcher.utter_message(response=name, phone=phone)
        dispatcher.utter_message(json_message=meta(kind="report", fallback=True))

    def accepted(
        self, dispatcher: CollectingDispatcher, outcome: SubmitOutcome, lost: int, channel: str
    ) -> None:
        lines: list[str] = []
        if lost:
            lines.append("写真は保存できなかったため、写真なしで受け付けました。")
        if outcome.probable_duplicate_of:
            lines.append(
                f"なお、近くで同じような通報(受付番号 {outcome.probable_duplicate_of})がすでに寄せられています。"
                "あわせて確認しますので、このまま受け付けています。"
            )
        dispatcher.utter_message(
            response="utter_report_accepted_line" if channel == "line" else "utter_report_accepted",
            case_number=outcome.case_number,
            department=outcome.department,
            notes="".join("\n" + line for line in lines),
        )
        dispatcher.utter_message(json_message=meta(report_id=outcome.case_number, kind="report"))


class ActionCancelForm(RuntimeAction):
    def name(self) -> str:
        return "action_cancel_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        in_form = (tracker.active_loop or {}).get("name") == FORM or any(tracker.get_slot(s) for s in SLOTS)
        # Nothing to cancel and more than a word of cancelling (「会社をやめたら国保の手続きは？」, taken for a
        # cancel): what the FAQ action would do for the question.
        text = latest_text(tracker)
        if (
            not in_form
            and normalize(text) not in CANCEL_WORDS
            and answer_if_sure(self.rt, dispatcher, tracker)
        ):
            return []
        form_ended(self.rt, tracker)
        dispatcher.utter_message(response=CANCELLED if in_form else "utter_cancel_nothing")
        return [ActiveLoop(None), *reset_events()]


class ActionReportStatus(RuntimeAction):
    def name(self) -> str:
        return "action_report_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        rt = self.rt
        table = rt.categories()
        wanted = CASE_NUMBER.search(latest_text(tracker))
        with rt.factory() as session:
            mine = reports_of(session, tracker.sender_id, limit=20 if wanted else 5)
        if wanted:
            number = wanted.group(0).upper()
            mine = [(r, note) for r, note in mine if r.case_number == number]
            if not mine:
                where = "line" if tracker.sender_id.startswith("line-") else "web"
                dispatcher.utter_message(response=f"utter_report_unknown_number_{where}", number=number)
                dispatcher.utter_message(json_message=meta(kind="report"))
                return []
        # No case number asked about and no report of theirs: NLU may have sent a question about something else
        # here (it learned the demo city's wording); what the city's FAQ would do for it comes first.
        if not mine and not wanted and answer_if_sure(rt, dispatcher, tracker):
            return []
        if not mine:
            dispatcher.utter_message(
                response="utter_report_none", buttons=[{"title": "通報する", "payload": "通報したい"}]
            )
            dispatcher.utter_message(json_message=meta(kind="report"))
            return []
        lines = []
        for report, note in mine:
            when = to_city_time(report.created_at)
            lines.append(
                f"・{report.case_number} {table.get(report.category).label}"
                f"({when.month}月{when.day}日受付)\n  状況: {status_words(report.status)}"
            )
            if note:
                lines.append(f"  お知らせ: {note}")
        dispatcher.utter_message(
            response="utter_report_status" if len(mine) == 1 else "utter_report_status_many",
            count=len(mine),
            reports="\n".join(lines),
        )
        dispatcher.utter_message(
            json_message=meta(report_id=mine[0][0].case_number if len(mine) == 1 else None, kind="report")
        )
        return []
