"""Building, versioning and answering surveys against SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.storage.accounts import AuditLog
from bot.storage.db import transaction
from bot.storage.profiles import delete_profile, set_profile
from bot.storage.surveys import SurveyResponseRow
from bot.surveys import service
from bot.surveys.definition import SurveyError, parse_definition

NOW = datetime.now(UTC)


def definition(anonymous: bool = False, title: str = "ごみ出しアンケート"):  # type: ignore[no-untyped-def]
    return parse_definition(
        {
            "title": title,
            "intro": "ご協力ください。",
            "opens_at": (NOW - timedelta(days=1)).isoformat(),
            "closes_at": (NOW + timedelta(days=10)).isoformat(),
            "anonymous": anonymous,
            "questions": [
                {"kind": "single", "text": "収集日は分かりやすいですか", "choices": ["はい", "いいえ"]},
                {"kind": "rating", "text": "満足度", "required": False},
                {"kind": "text", "text": "ご意見", "required": False},
            ],
        }
    )


def published(factory, anonymous: bool = False) -> int:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        row = service.create_survey(session, definition(anonymous), "editor")
        service.publish(session, row.id, "editor")
        return row.id


def test_staff_build_edit_publish_and_every_change_is_audited(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        row = service.create_survey(session, definition(), "editor")
        service.update_survey(session, row.id, definition(title="新しい題"), "editor")
        service.publish(session, row.id, "editor")
        survey_id = row.id
    with factory() as session:
        row = service.get_survey(session, survey_id)
        assert (row.title, row.status, row.version) == ("新しい題", "published", 1)
        assert service.definition_of(row).title == "新しい題"
        assert [r.id for r in service.open_surveys(session, NOW)] == [survey_id]
        assert not service.open_surveys(session, NOW + timedelta(days=11))
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
        assert actions == ["survey.create", "survey.update", "survey.publish"]


def test_answers_lock_the_survey_and_a_new_version_replaces_it(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = published(factory)
    with transaction(factory) as session:
        service.save_answer(session, survey_id, "line-a", 0, "はい", "line", NOW)
    with transaction(factory) as session, pytest.raises(service.SurveyLocked) as caught:
        service.update_survey(session, survey_id, definition(title="x"), "editor")
    assert "新しい版を作る" in caught.value.message
    with transaction(factory) as session:
        copy = service.new_version(session, survey_id, "editor")
        assert (copy.status, copy.version, copy.previous_id) == ("draft", 2, survey_id)
        service.update_survey(session, copy.id, definition(title="第2版"), "editor")
        service.publish(session, copy.id, "editor")
        copy_id = copy.id
    with factory() as session:
        assert service.get_survey(session, survey_id).status == "closed"
        assert service.get_survey(session, copy_id).title == "第2版"
    with transaction(factory) as session, pytest.raises(SurveyError):
        service.new_version(session, survey_id, "editor")  # v2 exists already


def test_one_question_at_a_time_pause_resume_skip_and_change(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = published(factory)
    with transaction(factory) as session:
        assert service.progress(session, survey_id, "line-a") is None
        step = service.save_answer(session, survey_id, "line-a", 0, "いいえ", "line", NOW)
        assert (step.next_question, step.completed) == (1, False)
    with transaction(factory) as session:  # resumed later
        assert service.progress(session, survey_id, "line-a").next_question == 1
        service.skip_question(session, survey_id, "line-a", 1, "line", NOW)
        with pytest.raises(SurveyError):
            service.skip_question(session, survey_id, "line-a", 0, "line", NOW)  # required
        done = service.save_answer(session, survey_id, "line-a", 2, "特になし", "line", NOW)
        assert done.completed and done.next_question is None
        assert done.answers == {0: "いいえ", 1: None, 2: "特になし"}
        changed = service.save_answer(session, survey_id, "line-a", 0, "はい", "line", NOW)
        assert changed.answers[0] == "はい"
    with factory() as session:
        assert len(session.scalars(select(SurveyResponseRow)).all()) == 1


def test_the_web_form_submits_everything_and_required_ones_are_checked(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = published(factory)
    with transaction(factory) as session, pytest.raises(SurveyError) as caught:
        service.submit(session, survey_id, "web-b", {1: 3}, "web", NOW)
    assert caught.value.message.startswith("質問1:")
    with transaction(factory) as session:
        first = service.submit(session, survey_id, "web-b", {0: "はい", 1: 3}, "web", NOW)
        assert first.completed and first.answers == {0: "はい", 1: 3, 2: None}
        again = service.submit(session, survey_id, "web-b", {0: "いいえ"}, "web", NOW)
        assert again.answers == {0: "いいえ", 1: None, 2: None}


def test_closed_and_unopened_surveys_refuse_answers(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = published(factory)
    with transaction(factory) as session, pytest.raises(service.SurveyClosed) as caught:
        service.save_answer(session, survey_id, "line-a", 0, "はい", "line", NOW + timedelta(days=11))
    assert "締め切りました" in caught.value.message
    with transaction(factory) as session:
        service.close(session, survey_id, "editor")
        draft = service.create_survey(session, definition(), "editor")
        draft_id = draft.id
    with transaction(factory) as session, pytest.raises(service.SurveyClosed):
        service.save_answer(session, survey_id, "line-a", 0, "はい", "line", NOW)
    with transaction(factory) as session, pytest.raises(service.SurveyClosed) as caught:
        service.save_answer(session, draft_id, "line-a", 0, "はい", "line", NOW)
    assert "まだ始まっていません" in caught.value.message


def test_anonymous_surveys_store_no_pseudonym_but_the_profile_at_answer_time(factory) -> None:  # type: ignore[no-untyped-def]
    survey_id = published(factory, anonymous=True)
    with transaction(factory) as session:
        set_profile(session, "line-a", age_group="30代", area="中央地区")
        service.save_answer(session, survey_id, "line-a", 0, "はい", "line", NOW)
        assert service.progress(session, survey_id, "line-a").answers == {0: "はい"}
    with factory() as session:
        row = session.scalars(select(SurveyResponseRow)).one()
        assert "line-a" not in row.respondent and row.respondent.startswith("anon-")
        assert (row.age_group, row.area) == ("30代", "中央地区")
    with transaction(factory) as session:
        assert delete_profile(session, "line-a") is True
    with factory() as session:
        row = session.scalars(select(SurveyResponseRow)).one()
        assert (row.age_group, row.area) == (None, None)
        assert row.answers == {"0": "はい"}  # the answer stays, only the profile's data goes


@pytest.mark.postgres
def test_an_edit_waits_for_an_answer_in_flight_and_is_then_refused(postgres_url: str) -> None:
    import threading

    from bot.storage.db import make_engine, migrate, session_factory

    migrate(postgres_url)
    engine = make_engine(postgres_url)
    factory = session_factory(engine)
    try:
        survey_id = published(factory)
        answering = factory()
        service.save_answer(answering, survey_id, "line-a", 0, "はい", "line", NOW)  # not committed yet
        outcome: list[object] = []

        def edit() -> None:
            try:
                with transaction(factory) as session:
                    service.update_survey(session, survey_id, definition(title="x"), "editor")
                outcome.append("saved")
            except service.SurveyLocked as exc:
                outcome.append(exc)

        editor = threading.Thread(target=edit)
        editor.start()
        editor.join(timeout=1.0)
        assert editor.is_alive() and outcome == []  # waits for the answer's transaction
        answering.commit()
        answering.close()
        editor.join(timeout=10)
        assert len(outcome) == 1 and isinstance(outcome[0], service.SurveyLocked)
    finally:
        engine.dispose()
