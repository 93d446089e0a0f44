"""The sales explorer (/ventes) and the commune pages (/communes) on the small real model."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import numpy as np
import pytest

from app.web.french import euros
from model import commune_sales, explorer
from tests.integration.web_page import Page

RIVOLI = "12 rue de Rivoli 75004 Paris"


@pytest.fixture()
def client(web_client):
    return web_client


def _rows(response) -> list[dict]:
    page = Page(response.get_data(as_text=True))
    return [a for a in page.find_all("tr") if "data-number" in a]


def test_the_explorer_lists_filtered_sorted_sales_page_by_page(client, estimator):
    args = {"q": RIVOLI, "type": "apartment", "surface_min": "40", "surface_max": "70,5",
            "rooms_min": "2", "radius": "500", "period": "24", "sort": "m2-desc"}  # fmt: skip
    first = client.get("/ventes", query_string=args)
    assert first.status_code == 200
    assert first.headers["X-Robots-Tag"].startswith("noindex")
    page = Page(first.get_data(as_text=True))
    # The same question asked of the model directly: as many sales, same filters.
    rows = estimator.sales
    found = explorer.around(
        estimator,
        48.8556,
        2.35995,
        500,
        {
            "property_type": "apartment",
            "living_area_range": (40, 70.5),
            "rooms_range": (2, None),
            "date_from": estimator.data_until - timedelta(days=round(24 * 30.44)),
        },  # fmt: skip
    )
    total = len(found.sales.sales)
    assert total > 25  # more than one page
    assert f"{total} ventes" in page.text and "Ventes 1 à 25" in page.text
    assert [r["data-number"] for r in _rows(first)] == [str(n) for n in range(1, 26)]
    assert all(40 <= s.living_area_m2 <= 70.5 and s.rooms >= 2 for s in found.sales.sales)
    # Sorted by €/m² at today's market, highest first.
    cells = [
        float(t.split("€")[0].replace("\u202f", "").strip())
        for t in re.findall(r'class="today">([^<]*)<', page.html)
    ]
    assert cells == sorted(cells, reverse=True) and len(cells) == 25
    # Streets only: no house number in the table (DVF reuse conditions).
    assert "RUE DE RIVOLI" in page.text or "RUE" in page.text
    second = Page(client.get("/ventes", query_string={**args, "page": "2"}).get_data(as_text=True))
    assert "Ventes 26 à" in second.text and page.find("a", rel="next") is not None
    assert len(rows) > total


def test_the_explorer_export_has_every_sale_of_the_question(client):
    args = {"q": RIVOLI, "type": "apartment", "radius": "250", "period": "12"}
    page = Page(client.get("/ventes", query_string=args).get_data(as_text=True))
    link = next(
        a["href"] for a in page.find_all("a") if a.get("href", "").startswith("/ventes.csv")
    )
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    total = int(
        re.search(r'id="sales-title">([\d\u202f]+) vente', page.html).group(1).replace("\u202f", "")
    )
    assert len(table) == total
    assert all(r["Type de bien"] == "Appartement" for r in table)
    assert f"Télécharger les {total} ventes" in page.text


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"q": RIVOLI, "surface_min": "beaucoup"}, "surface_min", "Saisissez un nombre."),
        ({"q": RIVOLI, "radius": "3"}, "radius", "Choisissez une des valeurs proposées."),
        ({"q": RIVOLI, "rooms_min": "5", "rooms_max": "2"}, "rooms_max", "supérieur ou égal"),
        ({"lat": "48.85"}, "lon", "latitude et la longitude ensemble"),
        ({"commune": "Paris"}, "commune", "Code commune"),
        ({"q": RIVOLI, "page": "0"}, "page", "Saisissez une valeur entre 1"),
        ({"q": RIVOLI, "tri": "prix"}, "tri", "Champ inattendu."),
    ],
)
def test_a_bad_parameter_is_named_in_french_never_a_500(client, args, field, message):
    for path in ("/ventes", "/ventes.csv"):
        response = client.get(path, query_string=args)
        assert response.status_code == 400, path
        page = Page(response.get_data(as_text=True))
        assert message in page.text, page.text[:1500]


def test_an_unknown_place_is_a_404_with_the_form(client):
    response = client.get("/ventes", query_string={"q": "zzqx wwkj qqpl"})
    assert response.status_code == 404
    assert "introuvable" in Page(response.get_data(as_text=True)).text


def test_a_communes_sales_latest_first(client, estimator):
    response = client.get(
        "/ventes", query_string={"commune": "75111", "type": "house", "period": "tout"}
    )
    assert response.status_code == 200
    rows = commune_sales.commune_index(estimator).rows("75111")
    houses = int(np.sum(estimator.sales.property_type[rows] == "house"))
    assert len(_rows(response)) == min(houses, 25)
    assert "Les ventes à Paris 11e Arrondissement" in Page(response.get_data(as_text=True)).text


def test_a_commune_page_has_its_prices_spread_history_sales_and_tranquillity(client, estimator):
    response = client.get("/communes/75111")
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    page = Page(response.get_data(as_text=True))
    assert "Prix et ventes à Paris 11e Arrondissement" in page.text
    flats = commune_sales.spread(estimator, "75111")[0]
    for value in (flats.q1, flats.median, flats.q3):
        assert euros(value, 10).replace("\u202f", " ") in page.text
    assert page.find("svg", class_="chart") is not None
    latest = commune_sales.latest_sales(estimator, "75111", 20)
    assert page.html.count("<tr><td><time") == len(latest) == 20
    assert "toute la ville de Paris" in page.text  # the tranquillity, true to its scope
    assert page.find("a", href="/ventes?commune=75111") is not None


def test_commune_search_and_refusals(client):
    assert client.get("/communes?q=75011").headers["Location"].endswith("/communes/75111")
    assert client.get("/communes?q=paris 11e").headers["Location"].endswith("/communes/75111")
    city = Page(client.get("/communes/75056").get_data(as_text=True))
    assert "Paris : les prix par arrondissement" in city.text
    assert city.find("a", href="/communes/75104") is not None
    alsace = client.get("/communes/67482")
    assert alsace.status_code == 404
    assert "notaires" in Page(alsace.get_data(as_text=True)).text
    gironde = Page(client.get("/communes/33063").get_data(as_text=True))
    assert "Paris" in gironde.text and "app.dvf.etalab.gouv.fr" in gironde.html
    assert client.get("/communes/xx").status_code == 404
    assert client.get("/communes?q=zzzz").status_code == 404
