"""The methodology page is written from a bundle's evaluation, whatever its figures."""

from __future__ import annotations

from app.web.methodology import ablation, cell_sentence, methodology_view

CELL = {"departement": "75", "property_type": "apartment", "sales": 24001, "mdape": 0.1137,
        "pe10": 0.45, "pe20": 0.74, "coverage": 0.803}  # fmt: skip


def _metadata(with_tq: float, without_tq: float) -> dict:
    return {
        "version": "v1",
        "created": "2026-12-01T14:20:46+00:00",
        "data_until": "2024-12-31",
        "training_window": ["2020-07-01", "2024-12-31"],
        "market_period": "2024-12",
        "departements": ["59", "75"],
        "sales": {"used": 1000},
        "evaluation": {
            "test_period": ["2024-01-01", "2024-12-31"],
            "results": {
                "model": {
                    "overall": {"sales": 81215, "mdape": with_tq, "coverage": 0.798},
                    "by_departement_type": [
                        CELL,
                        {**CELL, "departement": "59", "property_type": "house", "sales": 90},
                    ],
                },
                "without_tranquillity": {"overall": {"mdape": without_tq}},
            },
        },
    }


def test_accuracy_in_plain_french_per_departement_and_type():
    assert cell_sentence(CELL) == (
        "À Paris, la moitié des estimations d'appartements tombent à moins de 11\u202f% du "
        "prix de vente ; 45\u202f% à moins de 10 %, 74\u202f% à moins de 20 %."
    )
    view = methodology_view(_metadata(0.1356, 0.1360))
    assert [r["departement_name"] for r in view["rows"]] == ["Paris", "Nord"]
    assert view["rows"][1]["few"] is True  # 90 test sales: said to be uncertain
    assert view["overall"]["coverage"] == "80\u202f%"
    assert view["confidence_measured"] is False  # not in this bundle: not invented


def test_the_ablation_is_reported_whatever_its_sign():
    assert (
        "réduit l'erreur médiane de 0,4 point"
        in ablation(_metadata(0.1356, 0.1396)["evaluation"]["results"])["verdict"]
    )
    assert (
        "augmente l'erreur médiane de 0,4 point"
        in ablation(_metadata(0.1396, 0.1356)["evaluation"]["results"])["verdict"]
    )
    assert (
        "ne change pratiquement rien"
        in ablation(_metadata(0.1356, 0.1358)["evaluation"]["results"])["verdict"]
    )
    assert ablation({"model": {"overall": {"mdape": 0.1}}}) is None
