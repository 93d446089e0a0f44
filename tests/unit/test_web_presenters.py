"""The site's pure presenters: French formats, messages, explanation, chart and CSV."""

from __future__ import annotations

from datetime import date

from app.web import french
from app.web.chart import build_chart, nice_step
from app.web.tranquillity import tranquillity_panel
from model.property import FieldError, InvalidProperty, Property

NB = "\u202f"


def test_french_numbers_and_amounts():
    assert french.number(1234567.8) == f"1{NB}234{NB}568"
    assert french.number(3.14159, 2) == "3,14"
    assert french.euros(352_449, 1000) == f"352{NB}000{NB}€"
    assert french.signed_euros(-4520) == f"−4{NB}500{NB}€"
    assert french.euros(float("nan")) == "—"
    assert french.long_date(date(2024, 12, 1)) == "1er décembre 2024"
    assert french.month("2025-03") == "mars 2025"
    assert french.quarter("2024-Q3") == "T3 2024"


def test_property_errors_get_french_messages():
    try:
        Property.from_mapping(
            {
                "property_type": "castle",
                "living_area_m2": "x",
                "rooms": 99,
                "latitude": 48.8,
                "longitude": 2.3,
            }
        )
    except InvalidProperty as exc:
        messages = french.field_errors(exc.errors)
    assert messages == {
        "property_type": "Choisissez maison ou appartement.",
        "living_area_m2": "Saisissez un nombre.",
        "rooms": "Saisissez une valeur entre 1 et 30.",
    }
    assert french.field_error(
        FieldError("address", "not_found", "could not be located")
    ).startswith("Adresse introuvable")


def test_outside_coverage_explanations():
    covered = frozenset({"34", "59", "75", "76"})
    assert "Alsace-Moselle" in french.outside_coverage("67", covered)[0]
    assert "Mayotte" in french.outside_coverage("976", covered)[0]
    title, text = french.outside_coverage("33", covered)
    assert "pas encore couvert" in title and "34, 59, 75, 76" in text
    assert "comparables" in french.outside_coverage("75", covered)[1]


def test_every_departement_missing_from_dvf_is_explained_as_such():
    from model.geography import NOT_IN_DVF

    covered = frozenset({"75"})
    for departement in NOT_IN_DVF:
        title = french.outside_coverage(departement, covered)[0]
        assert title.startswith("Pas d'estimation"), departement


def test_chart_geometry_follows_the_data():
    history = [
        {"quarter": f"2023-Q{q}", "median_price_per_m2": p, "sales": n}
        for q, p, n in [(1, 10_000, 50), (2, 10_500, 100), (3, 9_800, 25), (4, 0, 0)]
    ]
    chart = build_chart(history)
    assert len(chart.bars) == 3 and len(chart.dots) == 3  # the empty quarter is left out
    heights = [b["h"] for b in chart.bars]
    assert heights[1] == max(heights) and heights[2] == min(heights)
    ys = [d["y"] for d in chart.dots]
    assert ys[1] < ys[0] < ys[2]  # higher price, higher on the chart (smaller y)
    assert chart.rows[0] == {"quarter": "T1 2023", "price": f"10{NB}000", "sales": "50"}
    assert build_chart([]) is None
    assert nice_step(7300) == 2000


def test_tranquillity_panel_says_unknown_rather_than_zero():
    summary = {
        "incidents": {
            "burglary": {
                "label": "Cambriolages de logement",
                "unit": "pour 1000 logements",
                "rate": 7.04,
                "year": 2023,
                "ratio_to_departement": 1.5,
                "departement_rate": 4.6,
                "trend_5y_pct": -21.0,
                "percentile": 88,
                "history": {"2018": 8.9, "2023": 7.04},
            },
            "damage": {"label": "Destructions", "unit": "pour 1000 habitants", "rate": None},
        },
        "cameras": {"covered": False, "within_250m": None},
        "sources": [{"name": "SSMSI", "years": [2016, 2024]}],
    }
    panel = tranquillity_panel(summary, population=80_000)
    burglary, damage = panel["groups"]
    assert burglary["rate"] == "7,0" and burglary["year"] == 2023
    assert burglary["comparison"] == "supérieur à la moyenne du département"
    assert burglary["trend"] == "en baisse de 21 % sur cinq ans".replace(" %", f"{NB}%")
    assert damage["known"] is False
    assert panel["cameras"] is None
    assert panel["sources"] == ["SSMSI (2016–2024)"]
    assert tranquillity_panel(None) is None


def test_paris_is_compared_with_france_not_with_itself():
    summary = {
        "departement": "75",
        "incidents": {
            "burglary": {
                "label": "Cambriolages",
                "unit": "pour 1000 logements",
                "rate": 7.0,
                "year": 2021,
                "ratio_to_departement": 1.0,
                "departement_rate": 7.0,
                "france_rate": 5.0,
            }
        },
    }
    group = tranquillity_panel(summary)["groups"][0]
    assert group["comparison"] == "supérieur à la moyenne nationale"
    assert group["departement_rate"] is None and group["france_rate"] == "5,0"
