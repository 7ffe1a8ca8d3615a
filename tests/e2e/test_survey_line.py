"""Issue 18, done-when: a survey made by staff is pushed to a segment of LINE followers and answered by postbacks,
one resident pausing and resuming, and the results and the CSV match what they answered.

In-process (not launcher-started): the gateway app with its inline LINE worker, driven through the signed
webhook exactly as LINE calls it, answering to the loopback fake LINE API (channels/line/fake.py); Rasa is the
stub of tests/support/line.py, since only the chat turn of the resident who pauses reaches it.
"""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import anyio
from fastapi.testclient import TestClient

from bot.services import services_of
from bot.storage.surveys import SurveyResponseRow
from bot.surveys import results, service
from bot.surveys.delivery import send_push
from bot.surveys.segments import Segment
from channels.line.client import LineClient
from channels.line.fake import FakeLine, event, message_problems, signed_headers, text_event, webhook_body
from tests.support.line import ACCESS_TOKEN, CHANNEL_SECRET, FAST, StubRasa, line_settings, make_line_app
from tests.support.survey_line import make_survey, postback_of, said

Messages = list[dict[str, Any]]


class Follower:
    """A LINE user whose events go through the webhook; each call returns the reply LINE delivered."""

    def __init__(self, client: TestClient, fake: FakeLine, n: int) -> None:
        self.client, self.fake, self.user_id = client, fake, f"U{n:032d}"
        self.last: Messages = []

    def _send(self, raw: dict[str, Any]) -> Messages:
        token = raw["replyToken"] = uuid.uuid4().hex
        body = webhook_body([raw])
        response = self.client.post(
            "/line/webhook", content=body, headers=signed_headers(CHANNEL_SECRET, body)
        )
        assert response.status_code == 200
        replied = lambda f: any(d.get("reply_token") == token for d in f.delivered)  # noqa: E731
        assert self.fake.wait_for(replied, 20), f"no reply to {raw['type']}"
        self.last = next(d["messages"] for d in self.fake.delivered if d.get("reply_token") == token)
        assert message_problems(self.last) == []
        return self.last

    def follow(self) -> Messages:
        return self._send(event("follow", self.user_id))

    def say(self, text: str) -> Messages:
        return self._send(text_event(text, self.user_id))

    def tap(self, data: str) -> Messages:
        return self._send(event("postback", self.user_id, postback={"data": data}))

    def choose(self, *labels: str) -> Messages:
        for label in labels:
            self.tap(postback_of(self.last, label))
        return self.last

    def pushed(self) -> Messages:
        [push] = [d["messages"] for d in self.fake.delivered if d.get("to") == self.user_id]
        return push


def test_a_survey_pushed_to_an_area_is_answered_on_line_and_the_results_match(
    tmp_path: Path, fake_line: FakeLine
) -> None:
    settings = line_settings(tmp_path, fake_line)
    app = make_line_app(settings, StubRasa())
    with TestClient(app) as client:
        factory = services_of(app).factory
        app.state.line_worker.answerer.city_dir = settings.city_data_dir  # the city's areas for 「登録情報」
        residents = [Follower(client, fake_line, n) for n in range(1, 6)]
        for resident in residents:
            assert "友だち追加ありがとうございます" in said(resident.follow())
        # Residents 1-3 live in 北町地区, 4 in 中央地区 (all registered by themselves); 5 has no profile.
        for resident, area in zip(residents[:4], ["北町地区"] * 3 + ["中央地区"], strict=True):
            resident.say("登録情報")
            assert f"地区: {area}" in said(resident.choose("登録する", "40代", area))

        # Staff make the survey (service API, as the console does) and push it to 北町地区.
        survey_id = make_survey(factory, title="北町地区の窓口アンケート")

        async def push(dry_run: bool):  # type: ignore[no-untyped-def]
            async with LineClient(ACCESS_TOKEN, fake_line.base_url, fake_line.base_url, FAST) as line:
                return await send_push(
                    factory, line, survey_id, Segment("area", "北町地区"), "editor1", dry_run=dry_run
                )

        plan = anyio.run(push, True)
        assert (plan.recipients, plan.messages, plan.fits) == (3, 3, True) and not fake_line.calls_of("push")
        assert anyio.run(push, False).sent == 3
        pushed_to = {d["to"] for d in fake_line.delivered if d["via"] == "push"}
        assert pushed_to == {r.user_id for r in residents[:3]}  # only the segment
        ichiro, jiro, saburo = residents[:3]

        # They answer by postbacks, starting from the pushed 「回答する」.
        ichiro.last = ichiro.pushed()
        ichiro.choose("回答する", "月1回以上", "住民票", "ごみ", "次へ", "5")
        assert "ありがとうございました" in said(ichiro.say("土曜日も開けてほしい。連絡は090-1234-5678へ"))

        jiro.last = jiro.pushed()
        assert "問2/4" in said(jiro.choose("回答する", "年に数回"))
        chat = jiro.say("粗大ごみの出し方")  # pauses: asks something else, and the chat answers
        assert said(chat).startswith("answer: 粗大ごみの出し方")
        jiro.say("アンケート")
        resumed = jiro.choose("北町地区の窓口アンケート")
        assert "続きから" in said(resumed) and "問2/4" in said(resumed)
        assert "ありがとうございました" in said(jiro.choose("ごみ", "次へ", "3", "とばす"))

        saburo.last = saburo.pushed()
        saburo.choose("回答する", "年に数回", "子育て", "次へ", "4")
        saburo.say("特になし")
        again = saburo.tap(postback_of(saburo.pushed(), "回答する"))  # answers once
        assert "すでにご回答いただいています" in said(again)

        # The results and the CSV match what they answered.
        with factory() as session:
            summary = results.summarize(session, survey_id)
            csv_text = results.export_csv(session, survey_id)
            progress = service.progress(
                session, survey_id, services_of(app).chat.resident_key("line", jiro.user_id)
            )
            rows = session.query(SurveyResponseRow).filter_by(survey_id=survey_id).count()
    assert progress is not None and progress.completed and rows == 3
    assert (summary.respondents, summary.completed) == (3, 3)
    q1, q2, q3, q4 = summary.questions
    assert q1.counts == [("月1回以上", 1), ("年に数回", 2), ("ほとんどない", 0)]
    assert q2.counts == [("住民票", 1), ("ごみ", 2), ("子育て", 1), ("税金", 0)]
    assert dict(q3.counts) == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1} and q3.mean == 4.0
    assert (q4.answered, q4.skipped) == (2, 1)
    assert sorted(q4.texts) == ["土曜日も開けてほしい。連絡は[電話番号]へ", "特になし"]
    table = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    header, body = table[0], table[1:]
    assert header[:4] == ["No.", "経路", "回答日時", "すべて回答"] and len(body) == 3
    answers = sorted(tuple(row[4:]) for row in body)
    assert answers == sorted(
        [
            ("月1回以上", "住民票、ごみ", "5", "土曜日も開けてほしい。連絡は[電話番号]へ"),
            ("年に数回", "ごみ", "3", "(無回答)"),
            ("年に数回", "子育て", "4", "特になし"),
        ]
    )
    assert all(row[1] == "LINE" and row[3] == "はい" for row in body)
    assert "U" + "0" * 31 not in csv_text and "line-" not in csv_text  # no LINE id, no pseudonym
