"""Eure-et-Loir: the mirror holds the sales of the Chartres agglomeration only (a partial
file, one row per sale). The pipeline treats it like any département, and the site values a
home in Chartres while saying what the data lacks."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.integration.web_page import Page
from training.cli import main

CHARTRES = "1 place des Épars, 28000 Chartres"
YEARS = (2023, 2024)


@pytest.fixture(scope="module")
def chartres_home(shared_data, tmp_path_factory):
    home = tmp_path_factory.mktemp("chartres-home")
    raw = home / "raw"
    for year in YEARS:
        relative = f"geo-dvf/latest/csv/{year}/departements/28.csv.gz"
        (raw / relative).parent.mkdir(parents=True, exist_ok=True)
        (raw / relative).symlink_to(shared_data / relative)
    for folder in ("ssmsi", "cameras", "communes"):
        (raw / folder).symlink_to(shared_data / folder, target_is_directory=True)
    runner = CliRunner()
    for args in (["prepare"], ["train", "--n-estimators", "60", "--test-months", "6"]):
        result = runner.invoke(main, ["--home", str(home), *args])
        assert result.exit_code == 0, result.output
    return home


@pytest.fixture(scope="module")
def chartres_app(chartres_home, app_for):
    return app_for(chartres_home)


def test_the_bundle_records_what_the_partial_file_lacks(chartres_home):
    models = chartres_home / "models"
    version = (models / "champion").read_text().strip()
    meta = json.loads((models / version / "metadata.json").read_text())
    data = meta["departement_data"]["28"]
    assert meta["departements"] == ["28"]
    assert data["communes_with_sales"] == 7 and data["communes"] > 300
    assert {"few_communes", "no_outbuildings", "no_parcels"} <= set(data["gaps"])


def test_a_home_in_chartres_is_valued_with_the_partial_data_said(chartres_app):
    client = chartres_app.test_client()
    token = Page(client.get("/").get_data(as_text=True)).csrf_token()
    form = {"address": CHARTRES, "property_type": "apartment", "living_area_m2": "65",
            "rooms": "3", "csrf_token": token}  # fmt: skip
    response = client.post("/estimation", data=form)
    page = Page(response.get_data(as_text=True))
    assert response.status_code == 200, page.text[:500]
    assert page.find("p", id="estimate-value")
    assert "Données partielles pour Eure-et-Loir (28)" in page.text
    assert "les ventes de 7 communes seulement sur" in page.text
    assert "Délinquance" in page.text or "délinquance" in page.text


def test_agents_read_the_gaps_of_each_departement_from_the_model_answer(
    chartres_app, chartres_home
):
    from tests.integration.api_helpers import assert_documented, bearer, create_key

    key = create_key(chartres_home, database_url=chartres_app.config["DATABASE_URL"])
    response = chartres_app.test_client().get("/api/v1/model", headers=bearer(key))
    body = assert_documented(response, "/model", "get")
    assert response.status_code == 200, body
    data = body["departement_data"]["28"]
    assert data["name"] == "Eure-et-Loir" and data["communes_with_sales"] == 7
    assert "no_parcels" in data["gaps"]
    assert data["note"].startswith("Données partielles pour Eure-et-Loir (28)")
