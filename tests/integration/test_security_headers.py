"""No browser or proxy keeps a visitor's estimate: every page but the static files says
`Cache-Control: no-store`."""

from __future__ import annotations

from tests.integration.web_page import Page

PARIS_ADDRESS = "12 rue de Rivoli 75004 Paris"
APARTMENT = {"property_type": "apartment", "living_area_m2": "62", "rooms": "3"}


def test_result_pages_and_exports_are_not_stored(app, key):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "2001:db8::c0"
    home = client.get("/")
    token = Page(home.get_data(as_text=True)).csrf_token()
    result = client.post(
        "/estimation", data={"csrf_token": token, "address": PARIS_ADDRESS, **APARTMENT}
    )
    assert result.status_code == 200
    export = client.post(
        "/estimation/comparables.csv",
        data=Page(result.get_data(as_text=True)).form_fields("/estimation/comparables.csv"),
    )
    assert export.status_code == 200
    api = client.get(
        "/api/v1/comparables?latitude=48.8556&longitude=2.36",
        headers={"Authorization": f"Bearer {key}"},
    )
    refused = client.get("/api/v1/model")
    for response in (home, result, export, api, refused, client.get("/nowhere")):
        assert response.headers["Cache-Control"] == "no-store", response.request.path
    with client.get("/static/css/site.css") as css:
        assert css.status_code == 200 and "no-store" not in css.headers.get("Cache-Control", "")
