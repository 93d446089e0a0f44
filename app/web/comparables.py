"""Similar sales as the result page lists them and as a CSV for French spreadsheets.

The CSV is what French Excel and LibreOffice open in columns without an import dialog:
`;` between cells, decimal commas, French headers and values, UTF-8 with a byte-order
mark, CRLF line ends; every text cell neutralised against formulas (`model.csv_cells`).
"""

from __future__ import annotations

import csv
import io
from datetime import date

from app.web import french
from model.csv_cells import safe_text
from model.sales_queries import SimilarSales

BOM = "\ufeff"


def _csv_headers(market: str) -> tuple[str, ...]:
    return (
        "N°",
        "Date de vente",
        "Type de bien",
        "Surface habitable (m²)",
        "Pièces",
        "Terrain (m²)",
        "Prix de vente (€)",
        "Prix au m² (€)",
        f"Prix au m² au marché de {french.month(market)} (€)",
        "Prix atypique",
        "Distance (m)",
        "Rue (sans numéro)",
        "Code commune",
        "Commune",
        "Latitude",
        "Longitude",
        "Identifiant de mutation DVF",
    )


def _date(day) -> str:
    return french.long_date(day) if isinstance(day, date) else str(day)


def comparable_rows(similar: SimilarSales, first_number: int = 1) -> list[dict]:
    """Table rows, numbered like the map's markers, with raw coordinates for the script."""
    rows = []
    for k, (c, today, odd) in enumerate(
        zip(similar.sales, similar.today_price_per_m2, similar.atypical, strict=True),
        first_number,
    ):
        rows.append(
            {
                "number": k,
                "date": _date(c.date),
                "iso_date": c.date.isoformat() if isinstance(c.date, date) else str(c.date),
                "type": french.PROPERTY_TYPES.get(c.property_type, c.property_type),
                "area": french.number(c.living_area_m2),
                "rooms": c.rooms if c.rooms is not None else "—",
                "land": french.number(c.land_area_m2) if c.land_area_m2 else "—",
                "price": french.euros(c.price),
                "price_per_m2": french.euros(c.price_per_m2, 10),
                "today_price_per_m2": french.euros(today, 10),
                "atypical": odd,
                "distance": f"{french.number(c.distance_m)}{french.NBSP}m",
                "street": c.street or "",
                "commune": c.commune_name or "",
                "latitude": c.latitude,
                "longitude": c.longitude,
            }
        )
    return rows


def _decimal(value, digits: int = 0) -> str:
    """A number with a decimal comma and no thousands separator ("" when unknown)."""
    if value is None or value != value:  # None or NaN
        return ""
    if digits == 0:
        return str(int(round(float(value))))
    return f"{float(value):.{digits}f}".replace(".", ",")


def comparables_csv(similar: SimilarSales) -> str:
    """The sales as a French CSV (BOM included)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(_csv_headers(similar.market_month))
    for k, (c, today, odd) in enumerate(
        zip(similar.sales, similar.today_price_per_m2, similar.atypical, strict=True), 1
    ):
        writer.writerow(
            [
                k,
                c.date.strftime("%d/%m/%Y") if isinstance(c.date, date) else safe_text(c.date),
                french.PROPERTY_TYPES.get(c.property_type, safe_text(c.property_type)),
                _decimal(c.living_area_m2, 1),
                "" if c.rooms is None else c.rooms,
                _decimal(c.land_area_m2),
                _decimal(c.price),
                _decimal(c.price_per_m2),
                _decimal(today),
                "oui" if odd else "non",
                _decimal(c.distance_m),
                safe_text(c.street),
                safe_text(c.code_commune),
                safe_text(c.commune_name),
                _decimal(c.latitude, 6),
                _decimal(c.longitude, 6),
                safe_text(c.mutation_id),
            ]
        )
    return BOM + out.getvalue()
