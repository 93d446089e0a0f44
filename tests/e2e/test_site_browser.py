"""End to end: a homeowner in Chromium, on a desktop and on a phone (fixtures: conftest.py)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.conftest import estimate

pytestmark = pytest.mark.e2e


def test_the_combobox_shows_the_servers_suggestion_for_a_typo(desktop):
    page = desktop.goto("/")
    address = page.get_by_role("combobox", name="Adresse du bien")
    address.press_sequentially("12 rue de rivoly 75004", delay=20)
    # The server corrects the typo: its suggestion is shown although it does not contain
    # the typed text (a native <datalist> would have hidden it).
    listbox = page.get_by_role("listbox", name="Adresses suggérées")
    listbox.wait_for(state="visible", timeout=10_000)
    options = listbox.get_by_role("option")
    labels = options.all_inner_texts()
    assert any("Rivoli" in label for label in labels), labels
    assert address.get_attribute("aria-expanded") == "true"
    # The keyboard picks it: the field gets the suggestion as the server wrote it.
    address.press("ArrowDown")
    assert address.get_attribute("aria-activedescendant") == "address-option-0"
    assert options.first.get_attribute("aria-selected") == "true"
    address.press("Enter")  # picks; does not submit
    assert address.input_value() == labels[0]
    assert address.get_attribute("aria-expanded") == "false" and not listbox.is_visible()
    assert page.url.endswith("/")
    # A click picks too; Escape closes the list.
    address.fill("")
    address.press_sequentially("8 bd voltaire 75011", delay=20)
    listbox.wait_for(state="visible", timeout=10_000)
    second = options.nth(1)
    label = second.inner_text()
    second.click()
    assert address.input_value() == label
    address.fill("")
    address.press_sequentially("rue de rivoli", delay=20)
    listbox.wait_for(state="visible", timeout=10_000)
    address.press("Escape")
    assert not listbox.is_visible() and address.get_attribute("aria-expanded") == "false"
    assert not desktop.axe_violations()
    assert not desktop.problems, desktop.problems


def test_a_homeowner_in_paris_gets_a_full_result_page(desktop, server, tmp_path):
    page = desktop.goto("/")
    estimate(page, "12 rue de Rivoli 75004 Paris", "Appartement", "62", "3")
    assert "€" in page.locator("#estimate-value").inner_text()
    rows = page.locator("#comparables-table tbody tr")
    assert rows.count() > 0
    # Leaflet built one numbered marker per sale, the number of its table row.
    page.wait_for_selector("#map.leaflet-container")
    # The tiles' attribution is kept (the tiles themselves are refused: no internet here).
    assert "OpenStreetMap" in page.locator("#map .leaflet-control-attribution").inner_text()
    markers = page.locator("#map .sale-marker")
    assert markers.count() == rows.count()
    assert markers.all_inner_texts() == [r.get_attribute("data-number") for r in rows.all()]
    # Explained in words, grouped; the methodology one click from the range.
    assert page.get_by_text("Quartier", exact=True).is_visible()
    assert "Point de départ" in page.locator("#starting-point").inner_text()
    assert page.locator("#freshness").inner_text().startswith("Prix au niveau du marché")
    desktop.screenshot(tmp_path, "result.png")
    assert not desktop.axe_violations()
    assert not desktop.problems, desktop.problems

    # The export is a real download, for a French spreadsheet, of as many sales as it says.
    button = page.get_by_role("button", name="CSV")
    said = int(button.inner_text().split("Télécharger les ")[1].split(" ")[0])
    with page.expect_download() as download:
        button.click()
    saved = tmp_path / "ventes-comparables.csv"
    download.value.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:3] == ["N°", "Date de vente", "Type de bien"]
    assert len(table) - 1 == said

    page.get_by_role("link", name="Que veut dire cette fourchette ?").click()
    page.wait_for_url("**/methodologie#fourchette")
    # Nothing in the server's logs says where the user lives.
    assert "Rivoli" not in server[1].read_text()


def test_the_result_page_fits_a_phone(phone, tmp_path):
    page = phone.goto("/")
    estimate(page, "12 rue de Rivoli 75004 Paris", "Appartement", "45", "2")
    assert page.locator("#estimate-value").is_visible()
    # No sideways scrolling of the page.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    # The chart fits its box: every quarter is on screen, none hidden to the right.
    chart = page.locator("svg.chart").bounding_box()
    box = page.locator("section.market").bounding_box()
    assert chart["width"] <= box["width"] + 0.5 and chart["x"] + chart["width"] <= 375
    # One finger scrolls the page: the map does not take the gesture.
    page.wait_for_selector("#map.leaflet-container")
    touch_action = page.locator("#map").evaluate("e => getComputedStyle(e).touchAction")
    assert touch_action != "none", touch_action
    assert "leaflet-touch-drag" not in page.locator("#map").get_attribute("class")
    phone.screenshot(tmp_path, "result-phone.png")
    assert not phone.axe_violations()
    assert not phone.problems, phone.problems


def test_the_methodology_page_on_a_phone(phone, tmp_path):
    page = phone.goto("/methodologie")
    assert page.get_by_role("heading", name="Méthodologie et précision").is_visible()
    sentences = page.locator("#accuracy-sentences li").all_inner_texts()
    assert any(s.startswith("À Paris, la moitié des estimations d'appartements") for s in sentences)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    phone.screenshot(tmp_path, "methodology-phone.png")
    assert not phone.axe_violations()
