"""The whole journey of the issue, in Chromium, on a desktop and on a phone: from the home
page, estimate a home, open the sales around it and filter them, export them, open the
commune's page, read how accurate the estimate is for its département and type."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.conftest import estimate

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_estimate_then_sales_then_commune_then_accuracy(device, request, tmp_path):
    visit = request.getfixturevalue(device)
    page = visit.goto("/")
    estimate(page, "12 rue de Rivoli 75004 Paris", "Appartement", "62", "3")
    assert "€" in page.locator("#estimate-value").inner_text()

    # The sales around the home, filtered.
    page.locator("#explore-link").click()
    page.wait_for_url("**/ventes?**")
    total = int(page.locator("#sales-title").inner_text().split()[0].replace("\u202f", ""))
    assert total > 0
    page.get_by_label("Surface minimale").fill("50")
    page.get_by_label("Surface maximale").fill("80")
    page.get_by_label("Période").select_option("12")
    page.get_by_label("Tri").select_option("prix-desc")
    with page.expect_navigation():
        page.get_by_role("button", name="Voir les ventes").click()
    filtered = int(page.locator("#sales-title").inner_text().split()[0].replace("\u202f", ""))
    assert 0 < filtered < total
    areas = [
        float(t.split("\xa0")[0].replace(",", "."))
        for t in page.locator("#comparables-table td[data-label=Surface]").all_inner_texts()
    ]
    assert areas and all(50 <= a <= 80 for a in areas)
    prices = [
        int(t.replace("\u202f", "").replace("€", "").strip())
        for t in page.locator("#comparables-table td.price").all_inner_texts()
    ]
    assert prices == sorted(prices, reverse=True)
    page.wait_for_selector("#map.leaflet-container")
    assert page.locator("#map .sale-marker").count() == len(prices)
    assert not visit.axe_violations()
    visit.screenshot(tmp_path, f"ventes-{device}.png")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    saved = tmp_path / "ventes.csv"
    download.value.save_as(saved)
    table = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert len(table) - 1 == filtered

    # The commune's page, from the result page.
    page.go_back()
    page.go_back()
    page.locator("#commune-link").click()
    page.wait_for_url("**/communes/75104")
    assert page.get_by_role("heading", name="Prix et ventes à Paris 4e Arrondissement").is_visible()
    assert page.locator("#spread-table tbody tr").count() == 2
    assert page.locator("#latest-table tbody tr").count() > 0
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    assert not visit.axe_violations()
    visit.screenshot(tmp_path, f"commune-{device}.png")

    # How accurate, for Paris apartments.
    page.get_by_role("link", name="méthodologie", exact=True).click()
    page.wait_for_url("**/methodologie")
    sentences = page.locator("#accuracy-sentences li").all_inner_texts()
    assert any("À Paris, la moitié des estimations d'appartements" in s for s in sentences)
    assert not visit.problems, visit.problems


def test_a_commune_search_and_a_refusal_with_somewhere_else_to_look(desktop):
    page = desktop.goto("/communes")
    page.get_by_label("Commune, code postal ou adresse").fill("75011")
    with page.expect_navigation():
        page.get_by_role("button", name="Voir la commune").click()
    assert page.url.endswith("/communes/75111")
    page = desktop.goto("/communes/67482")
    assert "Alsace-Moselle" in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_role("link", name="notaires").count() == 1
    assert not desktop.axe_violations()
