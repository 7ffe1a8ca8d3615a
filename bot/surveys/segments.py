"""Who a survey is pushed to on LINE: everyone who follows the city's account, or the followers in one area, of
one age group (both from the residents' own profiles), or who asked about one topic (an FAQ category or an
intent). Only pseudonyms (resident keys) leave this module; the LINE ids stay in ``line_users``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.storage.line_inbox import LineUser
from bot.storage.models import FaqRow, Message
from bot.storage.profiles import AGE_GROUPS, ResidentProfile
from bot.surveys.definition import SurveyError

KINDS = ("all", "area", "topic", "age")
KIND_LABELS = {"all": "全員", "area": "地区", "topic": "質問した話題", "age": "年代"}
# Intents residents ask with, as staff know them (an FAQ category is shown as written).
TOPIC_LABELS = {
    "ask_garbage_day": "ごみの収集日",
    "ask_garbage_sorting": "ごみの分け方",
    "ask_holiday_clinic": "休日当番医",
    "ask_snowplow": "除雪",
    "ask_department": "担当課",
    "ask_city_service": "市の手続き(FAQ)",
    "report_road_damage": "道路の損傷の通報",
    "report_illegal_dumping": "不法投棄の通報",
    "report_other": "その他の通報",
    "ask_report_status": "通報の状況",
    "subscribe_reminder": "お知らせの登録",
    "request_human": "窓口への問い合わせ",
}
VALUE_MAX = 128


@dataclass(frozen=True)
class Segment:
    kind: str  # "all" | "area" | "topic" | "age"
    value: str = ""  # area name / FAQ category or intent / age group

    @property
    def label(self) -> str:
        if self.kind == "all":
            return KIND_LABELS["all"]
        value = TOPIC_LABELS.get(self.value, self.value) if self.kind == "topic" else self.value
        return f"{KIND_LABELS[self.kind]}: {value}"


def parse_segment(kind: str, value: str) -> Segment:
    kind, value = (kind or "").strip(), (value or "").strip()
    if kind not in KINDS:
        raise SurveyError("送り先を 全員・地区・質問した話題・年代 から選んでください。")
    if kind == "all":
        return Segment("all")
    if not value:
        raise SurveyError(f"{KIND_LABELS[kind]}を選んでください。")
    if len(value) > VALUE_MAX:
        raise SurveyError(f"{KIND_LABELS[kind]}が長すぎます。選択肢から選んでください。")
    if kind == "age" and value not in AGE_GROUPS:
        raise SurveyError("年代は選択肢の中から選んでください。")
    return Segment(kind, value)


def _followers():  # type: ignore[no-untyped-def]
    return select(LineUser.pseudonym).where(LineUser.followed.is_(True))


def segment_senders(session: Session, segment: Segment) -> list[str]:
    """The resident keys of the LINE followers in ``segment``, sorted."""
    query = _followers()
    if segment.kind in ("area", "age"):
        column = ResidentProfile.area if segment.kind == "area" else ResidentProfile.age_group
        query = query.join(ResidentProfile, ResidentProfile.sender == LineUser.pseudonym).where(
            column == segment.value
        )
    elif segment.kind == "topic":
        category_ids = select(FaqRow.id).where(FaqRow.category == segment.value)
        asked = select(Message.sender).where(
            or_(Message.intent == segment.value, Message.faq_id.in_(category_ids))
        )
        query = query.where(LineUser.pseudonym.in_(asked))
    elif segment.kind != "all":
        raise SurveyError("送り先の種類が正しくありません。")
    return sorted(set(session.scalars(query)))


def topic_choices(session: Session) -> list[tuple[str, str]]:
    """(value, label) of the topics staff can choose: the FAQ's categories, then the intents residents ask
    with (without scanning the messages)."""
    categories = session.scalars(
        select(FaqRow.category).where(FaqRow.category != "").distinct().order_by(FaqRow.category)
    )
    return [(c, c) for c in categories] + list(TOPIC_LABELS.items())
