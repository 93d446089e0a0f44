"""The API on the real small model: answers carry what agents need and match the spec."""

from __future__ import annotations

from datetime import date

import pytest

from tests.integration.api_helpers import (
    STRASBOURG,
    assert_documented,
    bearer,
)
from tests.integration.gunicorn_helpers import home_body


def home(place, **extra) -> dict:
    return home_body(place, **{"living_area_m2": 52.5, "rooms": 3, **extra})


def test_an_estimate_carries_range_explanation_comparables_and_model(client, key, place):
    response = client.post("/api/v1/estimates", headers=bearer(key), json=home(place))
    body = assert_documented(response, "/estimates", "post")
    assert response.status_code == 200, body
    estimate = body["estimate"]
    assert estimate["low"] <= estimate["value"] <= estimate["high"]
    assert estimate["price_per_m2"] == pytest.approx(estimate["value"] / 52.5, rel=0.01, abs=2)
    explanation = body["explanation"]
    assert explanation["contributions"], "an estimate explains itself"
    explained = explanation["baseline"] + sum(c["euros"] for c in explanation["contributions"])
    assert explained == pytest.approx(
        estimate["value"], rel=0.02, abs=len(explanation["contributions"]) + 1
    )
    assert 0 < len(body["comparables"]) <= 10
    assert all(c["price"] > 0 for c in body["comparables"])
    assert body["location"]["source"] == "coordinates"
    assert body["property"]["valuation_date"] == date.today().isoformat()
    model = client.get("/api/v1/model", headers=bearer(key)).get_json()
    assert body["model"] == {"version": model["version"], "data_until": model["data_until"]}
    assert response.headers["X-Model-Version"] == model["version"]


@pytest.fixture()
def explained_calls(monkeypatch):
    """The `explain` of every LightGBM pass the estimator makes (SHAP values or not)."""
    from model.pricing import Pricer

    calls, predict = [], Pricer.predict

    def spy(self, batch, explain):
        calls.append(explain)
        return predict(self, batch, explain)

    monkeypatch.setattr(Pricer, "predict", spy)
    return calls


def test_an_estimate_without_explanation_computes_no_shap_values(
    client, key, place, explained_calls
):
    body = home(place)
    explained = client.post("/api/v1/estimates", headers=bearer(key), json=body)
    plain = client.post("/api/v1/estimates", headers=bearer(key), json={**body, "explain": False})
    answer = assert_documented(plain, "/estimates", "post")
    assert plain.status_code == 200, answer
    assert explained_calls == [True, False]
    assert answer["explanation"]["contributions"] == []
    # The baseline is the price itself, to the euro (the value is rounded to 100 €).
    assert abs(answer["explanation"]["baseline"] - answer["estimate"]["value"]) <= 50
    # The same price, range, comparables and place as the explained answer: only SHAP goes.
    full = explained.get_json()
    assert full["explanation"]["contributions"]
    for part in ("estimate", "comparables", "tranquillity", "location", "property", "model"):
        assert answer[part] == full[part], part


def test_explain_must_be_a_json_boolean_and_is_named_with_the_other_errors(client, key, place):
    body = {**home(place), "explain": "false", "rooms": 0}
    response = client.post("/api/v1/estimates", headers=bearer(key), json=body)
    errors = assert_documented(response, "/estimates", "post")["error"]["fields"]
    assert response.status_code == 400
    assert {e["field"]: e["code"] for e in errors} == {"explain": "type", "rooms": "range"}
    # In a batch, `explain` is the batch's: an item naming it is refused as unknown.
    item = {**home(place), "explain": True}
    batch = client.post("/api/v1/estimates/batch", headers=bearer(key), json={"properties": [item]})
    failure = assert_documented(batch, "/estimates/batch", "post")["results"][0]
    assert failure["error"]["fields"][0] == {
        **failure["error"]["fields"][0],
        "field": "explain",
        "code": "unknown",
    }


def test_outside_coverage_is_a_422_with_a_reason(client, key):
    response = client.post("/api/v1/estimates", headers=bearer(key), json=home(STRASBOURG))
    body = assert_documented(response, "/estimates", "post")
    assert response.status_code == 422
    assert body["error"]["code"] and body["error"]["message"]


def test_a_batch_answers_each_item_in_order(client, key, place):
    good = home(place)
    items = [
        good,
        {**good, "rooms": "three"},
        home(STRASBOURG),
        {**good, "latitude": None, "longitude": None, "address": "zzqx introuvable 00000"},
        3,
        {**good, "property_type": "house", "living_area_m2": 110, "rooms": 5, "land_area_m2": 400},
    ]
    response = client.post(
        "/api/v1/estimates/batch", headers=bearer(key), json={"properties": items, "explain": True}
    )
    body = assert_documented(response, "/estimates/batch", "post")
    assert response.status_code == 200
    assert [r["index"] for r in body["results"]] == list(range(len(items)))
    assert [r["status"] for r in body["results"]] == [200, 400, 422, 400, 400, 200]
    assert body["summary"] == {"estimated": 2, "invalid": 3, "outside_coverage": 1, "not_done": 0}
    assert body["results"][1]["error"]["fields"][0]["field"] == "rooms"
    assert body["results"][3]["error"]["fields"][0]["code"] == "not_found"
    assert body["results"][0]["explanation"]["contributions"]
    # The same home gets the same value alone or in a batch, explained or not.
    single = client.post("/api/v1/estimates", headers=bearer(key), json=good).get_json()
    assert body["results"][0]["estimate"]["value"] == single["estimate"]["value"]
    # One row (LightGBM's single-row predictor) or many: the same SHAP values.
    assert body["results"][0]["explanation"] == single["explanation"]
    fast = client.post(
        "/api/v1/estimates/batch", headers=bearer(key), json={"properties": [good]}
    ).get_json()["results"][0]
    assert fast["estimate"]["value"] == single["estimate"]["value"]
    assert fast["explanation"]["contributions"] == []


def test_comparables_respect_the_filters(client, key, place):
    query = {
        "latitude": place[0],
        "longitude": place[1],
        "property_type": "apartment",
        "living_area_min": 30,
        "living_area_max": 80,
        "radius_m": 2000,
        "limit": 15,
        "date_from": "2022-01-01",
    }
    response = client.get("/api/v1/comparables", headers=bearer(key), query_string=query)
    body = assert_documented(response, "/comparables")
    sales = body["comparables"]
    assert 0 < len(sales) <= 15
    assert all(
        s["property_type"] == "apartment"
        and 30 <= s["living_area_m2"] <= 80
        and s["date"] >= "2022-01-01"
        for s in sales
    )
    distances = [s["distance_m"] for s in sales]
    assert distances == sorted(distances) and distances[-1] <= 2000


def test_neighbourhood_of_a_point(client, key, place):
    response = client.get(
        "/api/v1/neighbourhood",
        headers=bearer(key),
        query_string={"latitude": place[0], "longitude": place[1]},
    )
    body = assert_documented(response, "/neighbourhood")
    assert response.status_code == 200 and body["code_commune"]
    assert body["neighbourhood"]["data_until"] == body["model"]["data_until"]


def test_model_describes_the_served_version(client, key):
    response = client.get("/api/v1/model", headers=bearer(key))
    body = assert_documented(response, "/model")
    assert body["version"] and body["departements"]
    assert body["training_window"]["from"] <= body["training_window"]["to"] == body["data_until"]
    assert body["metrics"]["overall"]


def test_health_names_the_model(client):
    body = assert_documented(client.get("/api/v1/health"), "/health")
    assert body["status"] == "ok" and body["model_version"]


@pytest.mark.parametrize(
    ("path", "method"), [("/comparables", "comparables"), ("/neighbourhood", "neighbourhood")]
)
def test_every_view_answers_outside_coverage_the_same_way(app, client, key, place, path, method):
    """One handler answers OutsideCoverage for every view, as POST /estimates does."""
    from app.model_store import get_estimator
    from model.estimator import OutsideCoverage

    def outside(*args, **kwargs):
        raise OutsideCoverage("not_in_dvf", "Moselle keeps its own land register", "57")

    single = client.post("/api/v1/estimates", headers=bearer(key), json=home(STRASBOURG))
    with app.app_context():
        estimator = get_estimator()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(estimator, method, outside)
        response = client.get(
            f"/api/v1{path}",
            headers=bearer(key),
            query_string={"latitude": place[0], "longitude": place[1]},
        )
    body = assert_documented(response, path)
    assert response.status_code == 422
    assert (
        body["error"].keys() == single.get_json()["error"].keys() == {"status", "message", "code"}
    )
    assert body["error"]["code"] == "not_in_dvf"


def _usage_rows_after(app, last_id: int) -> list:
    app.extensions["immoval.usage"].flush()
    with app.extensions["immoval.db"].engine.connect() as conn:
        return conn.exec_driver_sql(
            "select status, item_count, refusals, estimates, low_confidence from usage "
            "where id > ? order by id",
            (last_id,),
        ).all()


def test_the_usage_log_keeps_refusals_by_reason_and_low_confidence(app, client, key, place):
    # The data team's report counts refusals by reason and the share of low-confidence
    # answers from these rows: they must say what each answer held.
    app.extensions["immoval.usage"].flush()
    with app.extensions["immoval.db"].engine.connect() as conn:
        last = conn.exec_driver_sql("select coalesce(max(id), 0) from usage").scalar()
    good, outside = home(place), home(STRASBOURG)
    single = client.post("/api/v1/estimates", headers=bearer(key), json=good).get_json()
    refused = client.post("/api/v1/estimates", headers=bearer(key), json=outside).get_json()
    items = [good, outside, {**good, "rooms": "three"}, outside, {**good, "rooms": 1}]
    batch = client.post(
        "/api/v1/estimates/batch", headers=bearer(key), json={"properties": items}
    ).get_json()
    client.post("/api/v1/estimates", json=good)  # no key
    rows = _usage_rows_after(app, last)

    low = [single["estimate"]["confidence"] == "low"]
    answered = [r["estimate"]["confidence"] for r in batch["results"] if r["status"] == 200]
    assert len(answered) == 2
    code = refused["error"]["code"]
    assert rows == [
        (200, 1, None, 1, int(low[0])),
        (422, 1, f"{code}=1", None, None),
        (200, 5, f"invalid=1;{code}=2", 2, answered.count("low")),
        (401, 1, "no_valid_key=1", None, None),
    ]


def test_an_older_usage_table_gets_the_new_columns(tmp_path):
    from sqlalchemy import create_engine

    from app.db import add_missing_columns, make_engine

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = create_engine(url)
    with old.begin() as conn:  # the table as the first versions created it
        conn.exec_driver_sql(
            "create table usage (id integer primary key, at datetime not null, key_id integer, "
            "endpoint varchar(100) not null, method varchar(10) not null, status integer not "
            "null, latency_ms float not null, model_version varchar(100), item_count integer "
            "not null)"
        )
        conn.exec_driver_sql(
            "insert into usage values (1, '2026-01-01 00:00:00', null, 'e', 'POST', 200, 1, 'v', 1)"
        )
    old.dispose()
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.exec_driver_sql("select * from usage").mappings().one()
    assert row["status"] == 200 and row["refusals"] is None and row["low_confidence"] is None
    assert add_missing_columns(engine) == []  # once added, never again
