"""Survey storage: one response per respondent, and the anonymous respondent is a keyed hash."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from bot.storage.db import transaction
from bot.storage.surveys import SurveyResponseRow, SurveyRow, has_responses, list_surveys, respondent_of


def test_one_response_per_respondent_and_anonymous_hashes(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        linked = SurveyRow(title="a", definition={"anonymous": False}, created_by="editor")
        anonymous = SurveyRow(title="b", definition={"anonymous": True}, created_by="editor")
        other = SurveyRow(title="c", definition={"anonymous": True}, created_by="editor")
        session.add_all([linked, anonymous, other])
        session.flush()
        assert respondent_of(linked, "line-a") == "line-a"
        hashed = respondent_of(anonymous, "line-a")
        assert hashed.startswith("anon-") and "line-a" not in hashed
        assert hashed == respondent_of(anonymous, "line-a") != respondent_of(other, "line-a")
        session.add(SurveyResponseRow(survey_id=linked.id, respondent="line-a", channel="line"))
        ids = (linked.id, anonymous.id)
    with factory() as session:
        assert has_responses(session, ids[0]) and not has_responses(session, ids[1])
        assert [r.title for r in list_surveys(session)] == ["c", "b", "a"]
    with pytest.raises(IntegrityError), transaction(factory) as session:
        session.add(SurveyResponseRow(survey_id=ids[0], respondent="line-a", channel="web"))
