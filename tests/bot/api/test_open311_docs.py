"""bot.api.open311_docs: the OpenAPI description of the Open311 routes names the body of every answer and the
link from a case list to its case, and the public case model has no personal field."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.api import open311_docs as docs


def test_every_open311_answer_is_described(app_client: TestClient) -> None:
    paths = app_client.get("/openapi.json").json()["paths"]
    listing = paths["/open311/v2/requests.json"]
    assert set(listing["get"]["responses"]) >= {"200", "400", "404"}
    assert set(listing["post"]["responses"]) >= {"200", "400", "403"}
    assert listing["get"]["responses"]["200"]["links"]["case"]["operationId"] == "open311_get_request"
    assert "404" in paths["/open311/v2/requests/{case_number}.json"]["get"]["responses"]
    assert "200" in paths["/open311/v2/services.json"]["get"]["responses"]


def test_the_public_case_has_no_personal_field() -> None:
    fields = set(docs.ServiceRequestOut.model_fields)
    assert "media_url" in fields and "service_request_id" in fields
    assert not fields & {
        "reporter",
        "reporter_ref",
        "email",
        "first_name",
        "last_name",
        "phone",
        "account_id",
    }
