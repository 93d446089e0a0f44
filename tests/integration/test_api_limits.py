"""A batch costs its number of items, and no request works past its deadline: the real
app on the real small model."""

from __future__ import annotations

import time

import pytest

from tests.integration.api_helpers import assert_documented, bearer, create_key, within_one_window
from tests.integration.gunicorn_helpers import home_body


@pytest.fixture()
def limited_app(model_home, app_for):
    return app_for(model_home)


def _batch(place, n, **extra):
    return {"properties": [home_body(place, living_area_m2=30 + i % 50) for i in range(n)], **extra}


def test_a_batch_costs_its_number_of_items(limited_app, model_home, place):
    client = limited_app.test_client()
    database = limited_app.config["DATABASE_URL"]
    key = create_key(model_home, "Agence à 10", rate_limit=10, database_url=database)
    within_one_window()
    first = client.post("/api/v1/estimates/batch", json=_batch(place, 4), headers=bearer(key))
    assert first.status_code == 200 and first.headers["X-RateLimit-Remaining"] == "6"
    # 7 more do not fit in the 6 left: refused before any work, and only its first unit counts.
    refused = client.post("/api/v1/estimates/batch", json=_batch(place, 7), headers=bearer(key))
    body = assert_documented(refused, "/estimates/batch", "post")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1, body
    assert refused.headers["X-RateLimit-Remaining"] == "5"
    fits = client.post("/api/v1/estimates/batch", json=_batch(place, 5), headers=bearer(key))
    assert fits.status_code == 200 and fits.headers["X-RateLimit-Remaining"] == "0"
    single = client.get("/api/v1/model", headers=bearer(key))
    assert single.status_code == 429

    other = create_key(model_home, "Agence à 10 bis", rate_limit=10, database_url=database)
    never = client.post("/api/v1/estimates/batch", json=_batch(place, 11), headers=bearer(other))
    assert never.status_code == 429
    assert "send at most 10 items per batch" in never.get_json()["error"]["message"]


def test_a_batch_stops_at_its_deadline_and_says_what_was_not_done(limited_app, model_home, place):
    client = limited_app.test_client()
    database = limited_app.config["DATABASE_URL"]
    key = create_key(model_home, "Agence pressée", rate_limit=10_000, database_url=database)
    assert client.get("/api/v1/health").status_code == 200  # the model loaded
    # A deadline of about three chunks of 100 explained homes on this machine, whatever
    # its speed: the first chunk is done, the 1000 homes are not. Timed the second time
    # (the first builds what the estimator builds lazily).
    for _ in range(2):
        started = time.monotonic()
        tenth = client.post(
            "/api/v1/estimates/batch", json=_batch(place, 100, explain=True), headers=bearer(key)
        )
        assert tenth.status_code == 200 and tenth.get_json()["summary"]["estimated"] == 100
    deadline = 3 * (time.monotonic() - started)
    limited_app.config["REQUEST_DEADLINE_SECONDS"] = deadline
    started = time.monotonic()
    response = client.post(
        "/api/v1/estimates/batch", json=_batch(place, 1000, explain=True), headers=bearer(key)
    )
    seconds = time.monotonic() - started
    body = assert_documented(response, "/estimates/batch", "post")
    assert response.status_code == 200
    summary = body["summary"]
    print(f"1000 explained homes, {deadline:.2f} s deadline: {summary} in {seconds:.2f} s")
    assert summary["estimated"] > 0 and summary["not_done"] > 0
    assert summary["estimated"] + summary["not_done"] == 1000
    late = [r for r in body["results"] if r["status"] == 503]
    assert all(r["error"]["code"] == "deadline" for r in late)
    # The homes done come first, in order; the rest are those the deadline left.
    assert [r["index"] for r in body["results"]] == list(range(1000))
    assert late[0]["index"] == summary["estimated"]
    # One chunk of 100 explained homes may run past the deadline, not more.
    assert seconds < deadline + 3.0, seconds
