"""Resident reports: `validate_report_form`, the form's custom questions, `action_submit_report`,
`action_cancel_form` and `action_report_status`.

Slot values (docs/contracts.md): `report_category` a category code (bot/reports/categories.py);
`report_photos` a list of photo ids or "skip"; `report_location` "lat,lon" optionally followed by a space and
the address/landmark, or the typed address, or "skip"; `report_description` text; `report_confirm` "yes"/"no".
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop
from rasa_sdk.executor import CollectingDispatcher

from actions.report_parsing import (
    CANCEL_WORDS,
    CASE_NUMBER,
    COORDS,
    FORM,
    NO_WORDS,
    SKIP,
    SKIP_WORDS,
    SLOTS,
    YES_WORDS,
    categories,
    decode_location,
    describe_location,
    emergency_text,
    encode_location,
    latest_text,
    location_from_metadata,
    normalize,
    own_photos,
    photo_gps,
    previous_slot,
    reset_events,
    urgent_hazard,
    warned_in_this_form,
)
from actions.runtime import message_metadata, meta, runtime
from bot.reports.service import (
    MAX_PHOTOS,
    OTHER,
    ReportDraft,
    record_staff_alert,
    reports_of,
    spool_draft,
    submit_report,
    to_jst,
)
from bot.storage.db import transaction

log = logging.getLogger(__name__)


class ValidateReportForm(FormValidationAction):
    def name(self) -> str:
        return "validate_report_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # Rasa also calls this action from `action_extract_slots` (custom slot mapping) on every user turn;
        # everything happens once, when the form itself asks (latest action = the form).
        if tracker.latest_action_name != FORM:
            return []
        text = latest_text(tracker)
        if normalize(text) in CANCEL_WORDS:
            dispatcher.utter_message(text=CANCELLED)
            return reset_events()
        hazard = urgent_hazard(text)
        if hazard:
            s = runtime().settings
            phone = s.water_emergency_phone if hazard == "water" else s.road_emergency_phone
            if not warned_in_this_form(tracker, phone):
                dispatcher.utter_message(text=emergency_text(hazard))
        return await super().run(dispatcher, tracker, domain)

    # --- category ---------------------------------------------------------------------------------
    def validate_report_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        table = categories()
        requested = tracker.get_slot("requested_slot")
        previous = previous_slot(tracker, "report_category")
        if requested not in (None, "report_category") and previous:
            return {"report_category": previous}  # a later answer sounded like a report intent: keep the kind
        asked = requested == "report_category"
        match = table.match_text(latest_text(tracker))
        if match is not None and match.code != OTHER:
            code = match.code
        elif isinstance(value, str) and table.known(value) and value != OTHER:
            code = value
        elif asked:
            code = match.code if match else OTHER  # free text that fits nothing is その他
        else:
            return {"report_category": None}  # a generic "通報したい": ask which kind
        dispatcher.utter_message(text=f"「{table.get(code).label}」の通報として承ります。")
        return {"report_category": code}

    # --- photos -----------------------------------------------------------------------------------
    def extract_report_photos(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        metadata = message_metadata(tracker)
        ids = metadata.get("photo_ids")
        current = tracker.get_slot("report_photos")
        if ids and requested in ("report_photos", "report_location", "report_description"):
            existing = current if isinstance(current, list) else []
            merged = list(dict.fromkeys(existing + own_photos(ids, tracker.sender_id)))
            if not merged:
                dispatcher.utter_message(
                    text="写真を確認できませんでした。もう一度送るか、「スキップ」と送ってください。"
                )
                return {"report_photos": None} if requested == "report_photos" else {}
            if len(merged) > MAX_PHOTOS:
                dispatcher.utter_message(
                    text=f"写真は{MAX_PHOTOS}枚までです。最初の{MAX_PHOTOS}枚を使います。"
                )
            return {"report_photos": merged[:MAX_PHOTOS]}
        if requested != "report_photos":
            return {}
        location = location_from_metadata(metadata)
        if location:  # a position instead of a photo: no photo, and the place is known
            return {"report_photos": SKIP, "report_location": location}
        if normalize(latest_text(tracker)) in SKIP_WORDS:
            return {"report_photos": SKIP}
        dispatcher.utter_message(text="写真を送ってください。写真がない場合は「スキップ」と送ってください。")
        return {"report_photos": None}

    def validate_report_photos(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value == SKIP:
            return {"report_photos": SKIP}
        if isinstance(value, str) and normalize(value) in SKIP_WORDS:  # a from_text mapping
            return {"report_photos": SKIP}
        if isinstance(value, list):
            photos = own_photos(value, tracker.sender_id)[:MAX_PHOTOS]
            if photos:
                dispatcher.utter_message(text=f"写真を受け取りました(計{len(photos)}枚)。")
                return {"report_photos": photos}
        return {"report_photos": None}

    # --- location ---------------------------------------------------------------------------------
    def validate_report_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        metadata = message_metadata(tracker)
        location = location_from_metadata(metadata)
        if location:
            return {"report_location": location}
        if metadata.get("photo_ids"):
            return {"report_location": None}  # a photo turn, handled by the photo slot; ask the place again
        if isinstance(value, str) and COORDS.match(value) and decode_location(value)[0] is not None:
            return {"report_location": value}
        word = normalize(value if isinstance(value, str) else "")
        if word in SKIP_WORDS:
            return {"report_location": SKIP}
        if word in YES_WORDS:
            gps = photo_gps(tracker.get_slot("report_photos"))
            if gps:
                return {"report_location": encode_location(gps[0], gps[1], "写真の位置情報")}
            return {"report_location": None}
        if word in NO_WORDS:
            return {"report_location": None}  # the question comes again, without the photo's position
        if len(word) < 2:
            dispatcher.utter_message(text="場所がわかるように、住所や目印をもう少し詳しく教えてください。")
            return {"report_location": None}
        return {"report_location": str(value).strip()[:200]}

    # --- description ------------------------------------------------------------------------------
    def validate_report_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if message_metadata(tracker).get("photo_ids"):
            return {"report_description": None}
        text = str(value or "").strip()
        if len(normalize(text)) < 2:
            dispatcher.utter_message(text="どのような状況か、ひとことでも教えてください。")
            return {"report_description": None}
        return {"report_description": text[:1000]}

    # --- confirmation -----------------------------------------------------------------------------
    def validate_report_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        word = normalize(str(value or ""))
        if word in YES_WORDS or word.startswith("はい"):
            return {"report_confirm": "yes"}
        if word in NO_WORDS or word.startswith("いいえ"):
            return {"report_confirm": "no"}
        dispatcher.utter_message(text="「はい」か「いいえ」でお答えください。")
        return {"report_confirm": None}


CANCELLED = (
    "通報の入力を取りやめました。入力いただいた内容は保存していません。"
    "また何かあれば、いつでもお知らせください。"
)


class ActionAskReportCategory(Action):
    def name(self) -> str:
        return "action_ask_report_category"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        buttons = [{"title": c.label, "payload": c.label} for c in categories().categories]
        dispatcher.utter_message(
            text="どのような内容の通報ですか？当てはまるものを選ぶか、ひとことで教えてください。",
            buttons=buttons,
        )
        return []


class ActionAskReportLocation(Action):
    def name(self) -> str:
        return "action_ask_report_location"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        declined = normalize(latest_text(tracker)) in NO_WORDS
        gps = None if declined else photo_gps(tracker.get_slot("report_photos"))
        if gps:
            dispatcher.utter_message(
                text=f"写真の位置情報({gps[0]:.5f}, {gps[1]:.5f} 付近)を使いますか？\n"
                "別の場所の場合は、住所や目印を入力するか、位置情報を送ってください。",
                buttons=[
                    {"title": "はい、この場所", "payload": "はい"},
                    {"title": "いいえ", "payload": "いいえ"},
                ],
            )
            return []
        lead = "では、" if declined else ""
        dispatcher.utter_message(
            text=f"{lead}場所を教えてください。住所や目印(例:中央町3丁目のコンビニ前)を入力するか、"
            "位置情報を送ってください(LINE は「+」→「位置情報」)。わからない場合は「スキップ」と送ってください。",
            buttons=[{"title": "スキップ", "payload": "スキップ"}],
        )
        return []


class ActionAskReportConfirm(Action):
    def name(self) -> str:
        return "action_ask_report_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        cat = categories().get(tracker.get_slot("report_category"))
        photos = tracker.get_slot("report_photos")
        count = len(photos) if isinstance(photos, list) else 0
        summary = (
            f"次の内容で市に通報します。\n種類: {cat.label}\n場所: "
            f"{describe_location(tracker.get_slot('report_location'))}\n"
            f"写真: {f'{count}枚' if count else 'なし'}\n"
            f"内容: {tracker.get_slot('report_description') or ''}\n担当: {cat.department}\n"
            "よろしいですか？"
        )
        dispatcher.utter_message(
            text=summary,
            buttons=[
                {"title": "はい、通報する", "payload": "はい"},
                {"title": "いいえ、やめる", "payload": "いいえ"},
            ],
        )
        return []


def _channel(tracker: Tracker, metadata: dict[str, Any]) -> str:
    channel = metadata.get("channel")
    if isinstance(channel, str) and channel:
        return channel[:16]
    return "line" if tracker.sender_id.startswith("line-") else "web"


class ActionSubmitReport(Action):
    def name(self) -> str:
        return "action_submit_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        confirm = tracker.get_slot("report_confirm")
        if confirm == "no":
            dispatcher.utter_message(
                text="通報を取りやめました。内容は市に送信していません。"
                "あらためて通報する場合は「通報したい」と送ってください。"
            )
            return reset_events()
        if confirm != "yes" or not tracker.get_slot("report_category"):
            return reset_events()  # the form ended without a confirmed report (cancelled): nothing to do
        rt = runtime()
        metadata = message_metadata(tracker)
        lat, lon, address = decode_location(tracker.get_slot("report_location"))
        photos = tracker.get_slot("report_photos")
        wanted = photos if isinstance(photos, list) else []
        kept = own_photos(wanted, tracker.sender_id)
        channel = _channel(tracker, metadata)
        draft = ReportDraft(
            category=tracker.get_slot("report_category"),
            description=tracker.get_slot("report_description") or "",
            reporter=tracker.sender_id,
            channel=channel,
            reporter_ref=str(metadata.get("sender_ref") or "")[:128],
            lat=lat,
            lon=lon,
            address_text=address,
            photo_ids=kept,
        )
        lost = len(wanted) - len(kept)
        try:
            with transaction(rt.factory) as session:
                outcome = submit_report(session, draft, categories())
        except Exception:
            log.exception("report could not be stored; spooling it")
            try:
                spool_draft(rt.settings.data_dir / "spool" / "reports", draft)
                text = (
                    "通報の内容は保存しましたが、ただいま受付番号を発行できません。担当者が確認して対応します。"
                    f"お急ぎの場合は {rt.settings.contact_phone} までお電話ください。"
                )
            except OSError:
                log.exception("report spool failed too")
                text = (
                    "申し訳ありません。ただいま通報を受け付けられませんでした。お手数ですが "
                    f"{rt.settings.contact_phone} までお電話ください。"
                )
            dispatcher.utter_message(text=text)
            dispatcher.utter_message(json_message=meta(kind="report", fallback=True))
            return reset_events()
        if lost:
            record_staff_alert(
                rt.factory,
                "report_photo_missing",
                f"{outcome.case_number}: 写真{lost}枚を保存できず、写真なしで受け付けました",
                {"case_number": outcome.case_number, "missing": lost},
            )
        lines = [
            "通報を受け付けました。ありがとうございます。",
            f"受付番号: {outcome.case_number}",
            f"担当: {outcome.department}",
        ]
        if lost:
            lines.append("写真は保存できなかったため、写真なしで受け付けました。")
        if outcome.probable_duplicate_of:
            lines.append(
                f"なお、近くで同じような通報(受付番号 {outcome.probable_duplicate_of})がすでに寄せられています。"
                "あわせて確認しますので、このまま受け付けています。"
            )
        lines.append("対応の状況は「私の通報はどうなった？」と送ると確認できます。")
        if channel == "line":
            lines.append("状況が変わったら、このLINEでお知らせします。")
        dispatcher.utter_message(text="\n".join(lines))
        dispatcher.utter_message(json_message=meta(report_id=outcome.case_number, kind="report"))
        return reset_events()


class ActionCancelForm(Action):
    def name(self) -> str:
        return "action_cancel_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        in_form = (tracker.active_loop or {}).get("name") == FORM or any(tracker.get_slot(s) for s in SLOTS)
        dispatcher.utter_message(text=CANCELLED if in_form else "承知しました。ほかにご用件があればどうぞ。")
        return [ActiveLoop(None), *reset_events()]


class ActionReportStatus(Action):
    def name(self) -> str:
        return "action_report_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        rt = runtime()
        table = categories()
        wanted = CASE_NUMBER.search(latest_text(tracker))
        with rt.factory() as session:
            mine = reports_of(session, tracker.sender_id, limit=20 if wanted else 5)
        if wanted:
            number = wanted.group(0).upper()
            mine = [(r, note) for r, note in mine if r.case_number == number]
            if not mine:
                where = "LINE" if tracker.sender_id.startswith("line-") else "画面"
                dispatcher.utter_message(
                    text=f"受付番号 {number} の通報は、この{where}からのご通報の中に"
                    "見つかりませんでした。番号をご確認ください。"
                )
                dispatcher.utter_message(json_message=meta(kind="report"))
                return []
        if not mine:
            dispatcher.utter_message(
                text="これまでのご通報は見つかりませんでした。(確認できるのは、同じLINEまたは同じ画面からのご通報です)",
                buttons=[{"title": "通報する", "payload": "通報したい"}],
            )
            dispatcher.utter_message(json_message=meta(kind="report"))
            return []
        lines = ["ご通報の状況です。" if len(mine) == 1 else f"最近のご通報({len(mine)}件)の状況です。"]
        for report, note in mine:
            when = to_jst(report.created_at)
            lines.append(
                f"・{report.case_number} {table.get(report.category).label}"
                f"({when.month}月{when.day}日受付)\n  状況: {report.status}"
            )
            if note:
                lines.append(f"  お知らせ: {note}")
        dispatcher.utter_message(text="\n".join(lines))
        dispatcher.utter_message(
            json_message=meta(report_id=mine[0][0].case_number if len(mine) == 1 else None, kind="report")
        )
        return []
