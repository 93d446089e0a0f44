"""The homeowner's site through the Flask test client, on the small real model of `model_home`."""

from __future__ import annotations

import csv
import io
import logging

import pytest

from app.geocoding import get_geocoder
from app.labels.contributions import contribution_label
from app.requests import parse_estimate_request
from app.web.french import euros
from model import sales_queries
from tests.integration.api_helpers import within_one_window
from tests.integration.web_page import Page

PARIS_ADDRESS = "12 rue de Rivoli 75004 Paris"
APARTMENT = {
    "property_type": "apartment",
    "living_area_m2": "62",
    "rooms": "3",
    "outbuildings": "1",
}


@pytest.fixture()
def client(web_client):
    return web_client


@pytest.fixture()
def token(client) -> str:
    return Page(client.get("/").get_data(as_text=True)).csrf_token()


def post_form(client, token, **fields):
    return client.post("/estimation", data={"csrf_token": token, **fields})


def test_home_page_is_a_french_form_with_labelled_fields(client):
    response = client.get("/")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert page.find("html")["lang"] == "fr"
    assert "Estimer mon bien" in page.text
    labelled = {a["for"] for a in page.find_all("label") if "for" in a}
    for name in ("address", "living_area_m2", "rooms", "land_area_m2", "outbuildings"):
        assert page.find("input", name=name)["id"] in labelled
    assert {a["value"] for a in page.find_all("input", name="property_type")} == {
        "apartment",
        "house",
    }
    # The form is indexable; it is the only page that is.
    assert "X-Robots-Tag" not in response.headers


def test_no_inline_script_or_style_and_a_strict_csp(client, token):
    response = post_form(client, token, address=PARIS_ADDRESS, **APARTMENT)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    page = Page(response.get_data(as_text=True))
    assert all(a.get("src") for a in page.find_all("script"))
    assert not page.find_all("style")
    assert not any(
        "style" in attrs or any(k.startswith("on") for k in attrs) for _, attrs in page.elements
    )


def test_form_errors_are_shown_in_french_beside_each_field(client, token):
    response = post_form(
        client,
        token,
        address="",
        property_type="castle",
        living_area_m2="beaucoup",
        rooms="0",
        land_area_m2="-5",
    )
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    errors = {a["id"]: a for a in page.find_all("p", class_="error")}
    assert set(errors) >= {
        "address-error",
        "property_type-error",
        "living_area_m2-error",
        "rooms-error",
        "land_area_m2-error",
    }
    assert "Indiquez l'adresse du bien." in page.text
    assert "Choisissez maison ou appartement." in page.text
    assert "Saisissez un nombre." in page.text
    assert "Saisissez une valeur entre 1 et 30." in page.text
    # Each input points at its message, and what was typed is kept.
    assert "living_area_m2-error" in page.find("input", name="living_area_m2")["aria-describedby"]
    assert page.find("input", name="living_area_m2")["value"] == "beaucoup"


def test_unknown_address_is_a_field_error(client, token):
    response = post_form(client, token, address="zzqx wwkj qqpl", **APARTMENT)
    assert response.status_code == 422
    assert "Adresse introuvable" in Page(response.get_data(as_text=True)).text


def test_form_without_csrf_token_is_refused(client):
    response = client.post("/estimation", data={"address": PARIS_ADDRESS, **APARTMENT})
    assert response.status_code == 400
    assert "Le formulaire a expiré" in Page(response.get_data(as_text=True)).text


def test_result_page_for_a_paris_address(app, client, token, estimator, caplog):
    with caplog.at_level(logging.INFO):
        response = post_form(client, token, address=PARIS_ADDRESS, **APARTMENT)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    page = Page(response.get_data(as_text=True))

    # The same estimate, computed directly, is the one shown.
    with app.test_request_context():
        prop, location = parse_estimate_request(
            {"address": PARIS_ADDRESS, **APARTMENT}, get_geocoder().geocode
        )
    expected = estimator.estimate(prop, comparables=10)
    for amount in (expected.value, expected.low, expected.high):
        assert euros(amount, 1000).replace("\u202f", " ") in page.text
    assert euros(expected.price_per_m2, 10).replace("\u202f", " ") in page.text
    assert "Fourchette à 80 %" in page.text
    assert expected.model_version in page.text
    assert {"high": "élevée", "medium": "moyenne", "low": "faible"}[
        expected.confidence
    ] in page.text
    assert str(expected.data_until.year) in page.text
    assert location.code_commune.startswith("751")

    similar = sales_queries.similar_sales(
        estimator, prop.latitude, prop.longitude, "apartment", 62.0, limit=10
    )
    assert page.html.count("<tr data-number=") == len(similar.sales) > 0
    for sale in similar.sales:
        assert euros(sale.price).replace("\u202f", " ") in page.text
    assert page.find("div", id="map") is not None
    assert page.find("table", id="comparables-table") is not None
    assert "Ce qui fait le prix" in page.text
    top = max(
        (c for c in expected.contributions if c.feature != "land"), key=lambda c: abs(c.euros)
    )
    assert contribution_label(top).replace("\u202f", " ") in page.text
    # No land line for an apartment; the neighbourhood's lines under "Quartier".
    assert page.find("li", class_="contribution-heading") is not None
    assert not [li for li in page.find_all("li") if li.get("data-feature") == "land"]
    assert "Valeurs de Shapley".lower() not in page.text.lower()
    assert "index local" not in page.text
    # Paris's figures are city-wide: not called the neighbourhood's.
    assert "Tranquillité : chiffres de toute la ville de Paris" in page.text
    assert "Tranquillité du quartier" not in page.text
    assert page.find("a", href="/methodologie#fourchette") is not None
    assert page.find("svg", class_="chart") is not None or "Données non disponibles" in page.text
    for citation in ("DVF (DGFiP / Etalab)", "SSMSI", "OpenStreetMap contributors"):
        assert citation in page.text
    # Nothing in the logs says where the user lives.
    assert all("Rivoli" not in r.getMessage() for r in caplog.records)


def test_comparables_csv_export(client, token, estimator, app):
    page = Page(post_form(client, token, address=PARIS_ADDRESS, **APARTMENT).get_data(as_text=True))
    fields = page.form_fields("/estimation/comparables.csv")
    assert "address" not in fields and {"latitude", "longitude", "csrf_token"} <= set(fields)
    response = client.post("/estimation/comparables.csv", data=fields)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows
    assert {"Date de vente", "Prix de vente (€)", "Surface habitable (m²)"} <= set(rows[0])
    with app.test_request_context():
        prop, _ = parse_estimate_request(
            {k: v for k, v in fields.items() if k != "csrf_token"}, get_geocoder().geocode
        )
    expected = sales_queries.similar_sales(
        estimator, prop.latitude, prop.longitude, "apartment", 62.0, limit=50
    ).sales
    assert len(rows) == len(expected)
    assert [float(r["Prix de vente (€)"]) for r in rows] == pytest.approx(
        [round(c.price) for c in expected]
    )
    # The button said how many.
    button = "Télécharger la vente" if len(rows) == 1 else f"Télécharger les {len(rows)} ventes"
    assert button in page.text


def test_csv_export_requires_the_csrf_token(client):
    response = client.post(
        "/estimation/comparables.csv",
        data={"latitude": "48.8556", "longitude": "2.36", **APARTMENT},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("3 rue du Dôme 67000 Strasbourg", "Alsace-Moselle"),
        ("Mamoudzou", "Mayotte"),
        ("Bordeaux", "pas encore couvert"),
    ],
)
def test_outside_coverage_is_explained_without_a_price(client, token, address, words):
    response = post_form(client, token, address=address, **APARTMENT)
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert words in page.text
    assert "Fourchette" not in page.text
    assert page.find("form", action="/estimation") is not None  # try another address
    # Somewhere else to look: the notaires for Alsace-Moselle, the DVF app elsewhere.
    links = {a.get("href", "") for a in page.find_all("a")}
    if words == "Alsace-Moselle":
        assert any("notaires.fr" in href for href in links)
    elif words == "pas encore couvert":
        assert any("app.dvf.etalab.gouv.fr" in href for href in links)


def test_address_suggestions(client, token):
    response = client.post(
        "/adresses/suggestions", data={"q": "12 rue de rivo"}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 200
    labels = [s["label"] for s in response.get_json()["suggestions"]]
    assert labels and any("Rivoli" in label for label in labels)
    assert client.post("/adresses/suggestions", data={"q": "rivoli"}).status_code == 400


def test_address_suggestions_are_rate_limited_per_ip(app, client, token):
    app.config["SUGGEST_RATE_LIMIT"] = 2
    within_one_window()
    statuses = [
        client.post(
            "/adresses/suggestions", data={"q": "ri"}, headers={"X-CSRF-Token": token}
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_robots_txt_keeps_dvf_pages_out_of_search_engines(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    for path in ("/estimation", "/ventes", "/communes"):
        assert f"Disallow: {path}" in response.get_data(as_text=True)


def test_page_weight_without_tiles_is_under_300_kb(client, token):
    response = post_form(client, token, address=PARIS_ADDRESS, **APARTMENT)
    page = Page(response.get_data(as_text=True))
    assets = [a["href"] for a in page.find_all("link") if a.get("rel") == "stylesheet"]
    assets += [a["src"] for a in page.find_all("script")]
    total = len(response.get_data())
    for url in assets:
        with client.get(url) as asset:  # a static file is streamed: close it
            assert asset.status_code == 200, url
            total += len(asset.get_data())
    assert total < 300 * 1024, total


def test_the_form_is_rate_limited_per_ip_in_french(app, client, token):
    limit = app.config.get("FORM_RATE_LIMIT", 20)
    within_one_window()
    statuses = [
        post_form(client, token, address="", **APARTMENT).status_code for _ in range(limit + 1)
    ]
    assert statuses[:limit] == [422] * limit
    assert statuses[-1] == 429
    response = post_form(client, token, address=PARIS_ADDRESS, **APARTMENT)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    page = Page(response.get_data(as_text=True))
    assert "Trop d'estimations" in page.text
    # What was typed is kept.
    assert page.find("input", name="address")["value"] == PARIS_ADDRESS
    assert page.find("input", name="living_area_m2")["value"] == "62"
    assert page.find("input", name="property_type", value="apartment").get("checked") == ""


def test_unknown_page_is_a_french_error_page(client):
    response = client.get("/nulle-part", headers={"Accept": "text/html"})
    assert response.status_code == 404
    page = Page(response.get_data(as_text=True))
    assert "Page introuvable" in page.text and "Cette page n'existe pas" in page.text
    assert response.headers["X-Robots-Tag"].startswith("noindex")


def test_every_post_of_the_site_requires_the_csrf_token(app, client, token):
    posts = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("web.") and "POST" in rule.methods
    )
    assert posts == ["/adresses/suggestions", "/estimation", "/estimation/comparables.csv"]
    for path in posts:
        for sent in ({}, {"csrf_token": "forged"}, {"csrf_token": ""}):
            response = client.post(path, data={"q": "rivoli", **APARTMENT, **sent})
            assert response.status_code == 400, path
            assert "Le formulaire a expiré" in Page(response.get_data(as_text=True)).text
        # The header the form's script sends is as good as the hidden field.
        response = client.post(path, data={"q": "ri", **APARTMENT}, headers={"X-CSRF-Token": token})
        assert "Le formulaire a expiré" not in response.get_data(as_text=True), path


def test_only_a_postcode_gives_a_commune_level_figure_with_low_confidence(client, token, estimator):
    response = post_form(client, token, address="75011", **APARTMENT)
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert "Ordre de grandeur pour la commune" in page.text
    assert "Confiance faible" in page.text and "Fourchette à 80" not in page.text
    recent = sales_queries.commune_recent(estimator, "75111", "apartment")
    assert euros(recent.median_price_per_m2 * 62, 1000).replace("\u202f", " ") in page.text
    assert "Emplacement exact" not in page.text and "Point de départ" not in page.text


def test_methodology_page_is_written_from_the_champions_evaluation(client, estimator):
    response = client.get("/methodologie")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    model = estimator.metadata["evaluation"]["results"]["model"]
    for cell in model["by_departement_type"]:
        mdape = f"{100 * cell['mdape']:.1f}".replace(".", ",")
        assert f"{mdape} %" in page.text
    assert estimator.version in page.text
    assert "l'étage" in page.text and "DPE" in page.text
    assert page.find("p", id="ablation") is not None
    assert page.find("section", id="fourchette") is not None
    # How often the range held at each confidence level, as training measured it.
    assert page.find("p", id="confidence-unmeasured") is None
    for level in model["by_confidence"]:
        coverage = f"{100 * level['coverage']:.0f}".replace(".", ",")
        assert f"prix dans la fourchette {coverage}" in page.text.replace("\u202f", " ")
    # The bundle's model card, as its own section.
    assert page.find("section", id="fiche") is not None
    assert "Usage prévu" in page.text and "Limites connues" in page.text
    assert f"ventes du {estimator.metadata['training_window'][0]}" in page.text


def test_map_tiles_come_from_the_configured_provider(app_for, model_home):
    app = app_for(model_home)
    app.config["MAP_TILES_URL"] = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    app.config["MAP_TILES_ATTRIBUTION"] = "© Exemple, © OpenStreetMap contributors"
    client = app.test_client()
    token = Page(client.get("/").get_data(as_text=True)).csrf_token()
    response = post_form(client, token, address=PARIS_ADDRESS, **APARTMENT)
    assert (
        "img-src 'self' data: https://*.tiles.example.org"
        in response.headers["Content-Security-Policy"]
    )
    assert "tile.openstreetmap.org" not in response.headers["Content-Security-Policy"]
    map_box = Page(response.get_data(as_text=True)).find("div", id="map")
    assert map_box["data-tiles-url"] == app.config["MAP_TILES_URL"]
    assert "OpenStreetMap contributors" in map_box["data-tiles-attribution"]
