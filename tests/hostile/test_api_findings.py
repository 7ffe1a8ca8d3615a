"""What schemathesis and the webhook fuzzing found in the gateway, pinned as plain regression tests."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hostile_support import CHANNEL_SECRET, SNOWPLOW_TOKEN, seed_reports

from channels.line.signature import sign


def test_an_open311_date_whose_utc_shift_leaves_the_calendar_is_no_server_error(
    gateway_client: TestClient,
) -> None:
    seed_reports(gateway_client.app, 1)  # type: ignore[arg-type]
    for start in ("0001-01-01T00:00:00+09:00", "0001-01-01"):  # year 1 in Japan is year 0 in UTC: was a 500
        response = gateway_client.get("/open311/v2/requests.json", params={"start_date": start})
        assert response.status_code == 200 and len(response.json()) == 1
    late = gateway_client.get("/open311/v2/requests.json", params={"end_date": "9999-12-31T23:59:59-09:00"})
    assert late.status_code == 200 and len(late.json()) == 1


def test_open311_filters_answer_as_documented(gateway_client: TestClient) -> None:
    get = gateway_client.get
    assert get("/open311/v2/requests.json", params={"status": "open,closed"}).status_code == 200
    for params in ({"status": "OPEN"}, {"status": ""}, {"start_date": ""}, {"end_date": "yesterday"}):
        response = get("/open311/v2/requests.json", params=params)
        assert response.status_code == 400 and response.json()[0]["code"] == 400, params
    unknown = get("/open311/v2/requests.json", params={"service_code": "nope"})
    assert unknown.status_code == 404 and unknown.json()[0]["description"] == "service_code not found"


def test_405_names_every_method_of_the_path(gateway_client: TestClient) -> None:
    response = gateway_client.request("OPTIONS", "/open311/v2/requests.json")
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"  # Starlette said "GET"


def test_json_types_are_not_coerced(gateway_client: TestClient) -> None:
    chat = {"sender_id": "s", "text": "ごみの日", "metadata": {"location": {"lat": 35.0, "lon": False}}}
    assert gateway_client.post("/api/v1/chat", json=chat).status_code == 422  # false is not longitude 0
    chat["metadata"] = {"location": {"lat": "35.0", "lon": 139}}
    assert gateway_client.post("/api/v1/chat", json=chat).status_code == 422
    feedback = {"sender_id": "s", "faq_id": "gomi", "helpful": "yes"}
    assert gateway_client.post("/api/v1/feedback", json=feedback).status_code == 422
    auth = {"Authorization": f"Bearer {SNOWPLOW_TOKEN}"}
    for stamp in (0, "1700000000", True):  # pydantic would read these as Unix times
        fix = {"vehicle_id": "plow-1", "lat": 43.0, "lon": 141.3, "timestamp": stamp}
        response = gateway_client.post("/api/v1/snowplow/positions", json={"positions": [fix]}, headers=auth)
        assert response.status_code == 422, stamp
    fix["timestamp"] = "2027-01-15T05:20:00+09:00"
    ok = gateway_client.post("/api/v1/snowplow/positions", json={"positions": [fix]}, headers=auth)
    assert ok.status_code == 200


def test_the_422_body_is_the_documented_one(gateway_client: TestClient) -> None:
    response = gateway_client.post("/api/v1/chat", json={"sender_id": "", "text": "x"})
    body = response.json()
    assert response.status_code == 422 and isinstance(body["detail"], str) and body["errors"][0]["loc"]
    documented = gateway_client.get("/openapi.json").json()["components"]["schemas"]["HTTPValidationError"]
    assert documented["properties"]["detail"] == {"type": "string"}
    assert set(documented["required"]) == set(body)


def test_an_unsigned_webhook_is_401_and_a_signed_non_webhook_400(gateway_client: TestClient) -> None:

    assert gateway_client.post("/line/webhook", content=b'{"events": []}').status_code == 401
    body = b'{"events": [{"webhookEventId": 7}]}'
    headers = {"X-Line-Signature": sign(CHANNEL_SECRET, body)}
    assert gateway_client.post("/line/webhook", content=body, headers=headers).status_code == 400
