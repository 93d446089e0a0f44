"""The tranquillity panel says what its figures cover and cites only their sources."""

from __future__ import annotations

from app.web.tranquillity import incidents_behind, panel_title, sources_shown, tranquillity_panel

SOURCES = [
    {"name": "SSMSI, bases communale et départementale", "years": [2016, 2024]},
    {"name": "Préfecture de police, arrêté de 2019", "covers": "75056"},
    {"name": "Caméras : openstreetmap, prefecture-police-paris-2012", "years": [2011, 2019]},
]


def test_paris_figures_are_the_whole_citys_not_the_neighbourhoods():
    assert "toute la ville de Paris" in panel_title("75056", "Paris 4e Arrondissement")
    assert panel_title("59350", "Lille") == "Tranquillité : chiffres de la commune de Lille"
    assert "quartier" not in panel_title("75056", None)


def test_no_paris_camera_source_on_a_lille_page():
    lille = sources_shown(SOURCES, "59350", cameras_covered=False)
    assert lille == ["SSMSI, bases communale et départementale (2016–2024)"]
    # Where Lille's cameras are listed, still not the Paris prefecture's list.
    assert not any("Préfecture" in s for s in sources_shown(SOURCES, "59350", True))
    paris = sources_shown(SOURCES, "75056", cameras_covered=True)
    assert any("Préfecture de police" in s for s in paris)
    assert any(s.startswith("Caméras : OpenStreetMap") for s in paris)  # not the raw ids


def _village(rate_now: float, rate_before: float) -> dict:
    return {
        "code_commune_stats": "76001",
        "incidents": {
            "property": {
                "rate": rate_now,
                "year": 2023,
                "trend_5y_pct": 100 * (rate_now / rate_before - 1),
                "history": {"2018": rate_before, "2023": rate_now},
            }
        },
        "cameras": {"covered": False},
        "sources": [],
    }


def test_a_trend_on_a_few_incidents_is_not_shown():
    # 400 inhabitants: 8 then 13 incidents, "+60 %" says nothing.
    assert tranquillity_panel(_village(32.0, 20.0), "Village", 400)["groups"][0]["trend"] is None
    town = tranquillity_panel(_village(32.0, 20.0), "Ville", 40_000)["groups"][0]["trend"]
    assert town.startswith("en hausse de 60")
    assert tranquillity_panel(_village(32.0, 20.0), "?", None)["groups"][0]["trend"] is None
    assert incidents_behind(10.0, "burglary", 10_000) == 50.0  # per 1000 dwellings
