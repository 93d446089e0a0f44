"""Keys, revocation, limits, body checks and the usage log, through the real app and CLI.

These checks happen before any model is involved: the app serves an empty home.
"""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from flask import Flask

from app import create_app
from app.ratelimit import limit_per_ip
from app.usage import summary
from tests.integration.api_helpers import assert_documented, bearer, create_key, within_one_window

PROPERTY = {
    "property_type": "apartment",
    "living_area_m2": 45,
    "rooms": 2,
    "latitude": 48.8566,
    "longitude": 2.3522,
}


@pytest.fixture()
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture()
def bare_app(home) -> Flask:
    app = create_app(
        {
            "HOME": str(home),
            "TESTING": True,
            "GEOCODER_URL": "",
            "API_KEY_CACHE_SECONDS": 0.2,
            "MAX_CONTENT_LENGTH": 64 * 1024,
        }
    )
    yield app
    app.extensions["immoval.usage"].flush()


@pytest.fixture()
def client(bare_app):
    return bare_app.test_client()


@pytest.fixture()
def key(home):
    return create_key(home)


def test_health_and_spec_are_public(client):
    health = client.get("/api/v1/health")
    assert health.status_code == 503  # no model promoted in this home
    assert assert_documented(health, "/health")["status"] == "unavailable"
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200 and spec.get_json()["openapi"].startswith("3.1")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "imv_x"},
        {"Authorization": "Basic dXNlcjpwdw=="},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer imv_not-a-real-key"},
        {"Authorization": "Bearer " + "é" * 300},
    ],
)
def test_requests_without_a_valid_key_are_refused(client, headers):
    response = client.post("/api/v1/estimates", json=PROPERTY, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_documented(response, "/estimates", "post")
    for path in ("/api/v1/model", "/api/v1/comparables?latitude=48&longitude=2"):
        assert client.get(path, headers=headers).status_code == 401


def test_a_revoked_key_is_refused_within_the_cache_time(client, home, key):
    from training.cli import main

    assert client.post("/api/v1/estimates", json={}, headers=bearer(key)).status_code == 400
    listed = CliRunner().invoke(main, ["--home", str(home), "apikeys", "list"])
    assert key[:12] in listed.output and key not in listed.output
    key_id = listed.output.splitlines()[1].split()[0]
    revoked = CliRunner().invoke(main, ["--home", str(home), "apikeys", "revoke", key_id])
    assert revoked.exit_code == 0, revoked.output
    time.sleep(0.3)  # API_KEY_CACHE_SECONDS in this app
    response = client.post("/api/v1/estimates", json={}, headers=bearer(key))
    assert response.status_code == 401 and "revoked" in response.get_json()["error"]["message"]


def test_a_key_over_its_limit_gets_429_with_retry_after(client, home):
    limited = create_key(home, "Petite agence", rate_limit=3)
    other = create_key(home, "Grande agence")
    within_one_window()
    statuses = [
        client.post("/api/v1/estimates", json={}, headers=bearer(limited)) for _ in range(4)
    ]
    assert [r.status_code for r in statuses] == [400, 400, 400, 429]
    assert [r.headers.get("X-RateLimit-Remaining") for r in statuses[:3]] == ["2", "1", "0"]
    blocked = statuses[-1]
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert_documented(blocked, "/estimates", "post")
    # Limits are per key.
    assert client.post("/api/v1/estimates", json={}, headers=bearer(other)).status_code == 400


def test_the_site_form_is_limited_per_ip(home):
    app = create_app(
        {
            "HOME": str(home),
            "TESTING": True,
            "GEOCODER_URL": "",
            "FORM_RATE_LIMIT": 2,
            "FORM_RATE_WINDOW": 60,
        }
    )

    @app.post("/_test_form")
    @limit_per_ip("form")
    def form():
        return "ok"

    client = app.test_client()
    within_one_window()
    first_ip = [
        client.post("/_test_form", environ_base={"REMOTE_ADDR": "10.0.0.1"}) for _ in range(3)
    ]
    assert [r.status_code for r in first_ip] == [200, 200, 429]
    assert "Trop de demandes" in first_ip[-1].get_data(as_text=True)  # French page
    assert int(first_ip[-1].headers["Retry-After"]) >= 1
    other_ip = client.post("/_test_form", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other_ip.status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": "property_type=house", "content_type": "application/x-www-form-urlencoded"}, 415),
        ({"data": "{}", "content_type": "text/plain"}, 415),
        ({}, 415),
        ({"data": "{not json", "content_type": "application/json"}, 400),
        ({"data": b"\xff\xfe\x00", "content_type": "application/json"}, 400),
        ({"data": "[" * 50_000, "content_type": "application/json"}, 400),
        ({"data": "9" * 5000, "content_type": "application/json"}, 400),
        ({"data": "[]", "content_type": "application/json"}, 400),
        ({"data": "null", "content_type": "application/json"}, 400),
        ({"data": '{"a": ' + '"x",' * 40_000 + '"y"}', "content_type": "application/json"}, 413),
    ],
)
def test_bad_bodies_get_a_clear_4xx(client, key, kwargs, status):
    for path in ("/estimates", "/estimates/batch"):
        response = client.post(f"/api/v1{path}", headers=bearer(key), **kwargs)
        assert response.status_code == status, response.get_data(as_text=True)
        assert_documented(response, path, "post")


def test_validation_names_each_bad_field_and_why(client, key):
    response = client.post(
        "/api/v1/estimates",
        headers=bearer(key),
        json={
            "property_type": "loft",
            "living_area_m2": "45",
            "rooms": 0,
            "latitude": 48.8,
            "surface_carrez": 40,
        },
    )
    body = assert_documented(response, "/estimates", "post")
    fields = {e["field"]: e["code"] for e in body["error"]["fields"]}
    assert fields == {
        "surface_carrez": "unknown",
        "living_area_m2": "type",
        "longitude": "required",
        "property_type": "choice",
        "rooms": "range",
    }
    rooms = next(e for e in body["error"]["fields"] if e["field"] == "rooms")
    assert rooms["params"] == {"min": 1, "max": 30}


def test_a_batch_must_hold_1_to_1000_properties(client, key):
    for body, field in [
        ({"properties": []}, "properties"),
        ({"properties": [{}] * 1001}, "properties"),
        ({"properties": PROPERTY}, "properties"),
        ({"items": [PROPERTY]}, "items"),
        ({"properties": [PROPERTY], "explain": "yes"}, "explain"),
    ]:
        response = client.post("/api/v1/estimates/batch", headers=bearer(key), json=body)
        errors = assert_documented(response, "/estimates/batch", "post")["error"]["fields"]
        assert response.status_code == 400 and field in {e["field"] for e in errors}


def test_usage_is_logged_per_request_without_addresses(bare_app, client, home, key):
    from training.cli import main

    address = "12 rue des Secrets Bien Gardés"
    client.post(
        "/api/v1/estimates",
        headers=bearer(key),
        json={**PROPERTY, "latitude": None, "longitude": None, "address": address},
    )
    client.get("/api/v1/comparables?address=" + address.replace(" ", "+"), headers=bearer(key))
    client.post("/api/v1/estimates", json=PROPERTY)  # no key
    client.get("/api/v1/health")  # public endpoints are not metered
    bare_app.extensions["immoval.usage"].flush()

    db = bare_app.extensions["immoval.db"]
    with db.engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql("select * from usage").all()]
    assert len(rows) == 3
    assert not any("Secrets" in str(value) for row in rows for value in row)
    rows_by_key, _ = summary(db)
    assert {(r["name"], r["endpoint"]) for r in rows_by_key} == {
        ("Agence de test", "/api/v1/estimates"),
        ("Agence de test", "/api/v1/comparables"),
        (None, "/api/v1/estimates"),
    }
    printed = CliRunner().invoke(main, ["--home", str(home), "usage"])
    assert printed.exit_code == 0 and "/api/v1/comparables" in printed.output
    assert "(no valid key)" in printed.output
