"""The comparables' CSV opens in columns in a French spreadsheet, and runs no formula."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date

from app.web.comparables import comparable_rows, comparables_csv
from model.csv_cells import safe_text
from model.sales import Comparable
from model.sales_queries import SimilarSales

# One sale of Paris 4e: id, date, type, area, rooms, land, price, €/m², distance, lat, lon,
# street, commune code and name (positional: the order of `Comparable`).
SALE = Comparable("2023-123", date(2023, 5, 17), "apartment", 62.5, 3, 0.0, 520_000.0, 8320.0,
                  42.0, 48.8556, 2.3599, "RUE DE RIVOLI", "75104", "Paris 4e")  # fmt: skip


def _sale(**changes) -> Comparable:
    return dataclasses.replace(SALE, **changes)


def _similar(sales, today, atypical) -> SimilarSales:
    return SimilarSales(sales, today, atypical, 300.0, date(2022, 12, 31), None, "2024-12")


def test_french_csv_with_semicolons_decimal_commas_french_headers_and_a_bom():
    sales = [_sale(), _sale(mutation_id="2024-9", street='=HYPERLINK("http://x")', rooms=None)]
    body = comparables_csv(_similar(sales, [8150.0, None], [False, True]))
    assert body.startswith("\ufeff") and "\r\n" in body
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 2
    first, second = rows
    assert first["N°"] == "1" and first["Date de vente"] == "17/05/2023"
    assert first["Type de bien"] == "Appartement"
    assert first["Surface habitable (m²)"] == "62,5"
    assert first["Prix de vente (€)"] == "520000"
    assert first["Prix au m² au marché de décembre 2024 (€)"] == "8150"
    assert first["Prix atypique"] == "non" and second["Prix atypique"] == "oui"
    assert first["Latitude"] == "48,855600"
    assert first["Rue (sans numéro)"] == "RUE DE RIVOLI"
    # A street that is a formula stays text; unknown values are empty, not 0.
    assert second["Rue (sans numéro)"].startswith("'=")
    assert second["Pièces"] == "" and second["Prix au m² au marché de décembre 2024 (€)"] == ""


def test_rows_are_numbered_like_the_map():
    rows = comparable_rows(_similar([_sale(), _sale()], [1.0, 2.0], [False, True]))
    assert [r["number"] for r in rows] == [1, 2] and rows[1]["atypical"] is True


def test_safe_text_neutralises_what_a_spreadsheet_would_run():
    for dangerous in ("=1+1", "+33 6", "-2", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_text(dangerous).startswith("'"), dangerous
    assert safe_text("Rue de la Paix") == "Rue de la Paix"
    assert safe_text(None) == "" and safe_text(12) == "12"
