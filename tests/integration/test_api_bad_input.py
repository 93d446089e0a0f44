"""Faults from a probe, replayed on the real app: huge numbers and floods of unknown fields
get a small, documented 400 (never a 500), and one bad item never fails a batch."""

from __future__ import annotations

import json
import time

import pytest

from model.property import MAX_FIELD_ERRORS
from tests.integration.api_helpers import assert_documented, bearer
from tests.integration.gunicorn_helpers import home_body
from tests.integration.web_page import Page

HUGE = {"10**400": "1" + "0" * 400, "4301 digits": "9" * 4301, "1e400": "1e400"}


def _post(client, key, path, text):
    return client.post(
        f"/api/v1{path}", data=text, headers={**bearer(key), "Content-Type": "application/json"}
    )


@pytest.mark.parametrize("field", ["living_area_m2", "rooms", "latitude", "outbuildings"])
@pytest.mark.parametrize("number", HUGE.values(), ids=HUGE.keys())
def test_a_huge_number_is_a_range_error_of_its_field(client, key, place, field, number):
    text = json.dumps(home_body(place)).replace("}", f', "{field}": {number}}}')
    text = text.replace(f'"{field}": {json.dumps(home_body(place).get(field))}, ', "", 1)
    response = _post(client, key, "/estimates", text)
    body = assert_documented(response, "/estimates", "post")
    assert response.status_code == 400, body
    assert [(f["field"], f["code"]) for f in body["error"]["fields"]] == [(field, "range")]


@pytest.mark.parametrize("number", HUGE.values(), ids=HUGE.keys())
def test_one_huge_item_fails_itself_not_the_batch(client, key, place, number):
    good = json.dumps(home_body(place))
    bad = good.replace('"rooms": 2', f'"rooms": {number}')
    text = f'{{"properties": [{good}, {bad}, {good}]}}'
    response = _post(client, key, "/estimates/batch", text)
    body = assert_documented(response, "/estimates/batch", "post")
    assert response.status_code == 200, body
    results = body["results"]
    assert [("estimate" in r, "error" in r) for r in results] == [
        (True, False),
        (False, True),
        (True, False),
    ]
    assert [(f["field"], f["code"]) for f in results[1]["error"]["fields"]] == [("rooms", "range")]


def test_two_megabytes_of_unknown_fields_get_a_short_answer_at_once(client, key, place):
    fields = {f"{i:x}": 1 for i in range(180_000)}
    text = json.dumps({**home_body(place), **fields}, separators=(",", ":"))
    assert len(text) > 1_500_000
    started = time.perf_counter()
    response = _post(client, key, "/estimates", text)
    seconds = time.perf_counter() - started
    body = assert_documented(response, "/estimates", "post")
    assert response.status_code == 400
    error = body["error"]
    assert len(error["fields"]) == MAX_FIELD_ERRORS and error["fields_total"] == 180_000
    assert {f["code"] for f in error["fields"]} == {"unknown"}
    assert len(response.data) < 20_000, len(response.data)
    print(f"180,000 unknown fields: {len(response.data)} bytes answered in {seconds:.2f} s")


def test_json_has_no_nan_nor_infinity(client, key, place):
    for constant in ("NaN", "Infinity", "-Infinity"):
        text = json.dumps(home_body(place)).replace('"rooms": 2', f'"rooms": {constant}')
        body = _post(client, key, "/estimates", text).get_json()
        assert body["error"]["fields"][0]["field"] == "body", body


@pytest.mark.parametrize("number", [*HUGE.values(), "1 000 000 000 000 000 000"])
def test_the_form_answers_a_huge_number_beside_its_field(app, number):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "2001:db8::15"
    token = Page(client.get("/").get_data(as_text=True)).csrf_token()
    form = {"csrf_token": token, "address": "10 rue de Rivoli 75004 Paris"}
    form |= {"property_type": "apartment", "living_area_m2": "50", "rooms": number}
    response = client.post("/estimation", data=form)
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert page.find("p", id="rooms-error") is not None
    assert "entre 1 et 30" in response.get_data(as_text=True)
