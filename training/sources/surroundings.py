"""Surroundings: stations (SNCF, IDFM), communes on the sea and their contours, INSEE
incomes (Filosofi) and equipment (BPE)."""

from __future__ import annotations

from training.sources.base import LICENCE_OUVERTE, Check, Item
from training.sources.places import contour_item

SNCF_STATIONS_URL = (
    "https://ressources.data.sncf.com/api/explore/v2.1/catalog/datasets/liste-des-gares/"
    "exports/csv?delimiter=%3B&use_labels=true"
)
IDFM_STATIONS_URL = (
    "https://data.iledefrance-mobilites.fr/api/explore/v2.1/catalog/datasets/"
    "emplacement-des-gares-idf/exports/csv?delimiter=%3B"
)
ODBL_PORTAL = "ODbL 1.0"
# Départements with communes riveraines de la mer (list of communes littorales, 2019): the
# coastline is drawn from their communes' contours, whichever départements are served.
COASTAL_DEPARTEMENTS = (
    "06", "11", "13", "14", "17", "22", "29", "2A", "2B", "30", "33", "34", "35", "40",
    "44", "50", "56", "59", "62", "64", "66", "76", "80", "83", "85",
    "971", "972", "973", "974",
)  # fmt: skip
# INSEE publishes these as zip archives on insee.fr pages (no stable file URL the fetcher
# could verify): the catalogue names the page, the mirror holds the CSV.
INSEE_PAGES = {
    "filosofi_communes": "https://www.insee.fr/fr/statistiques/3560121",
    "filosofi_iris": "https://www.insee.fr/fr/statistiques (BASE_TD_FILO_DISP_IRIS_2017)",
    "bpe": "https://www.insee.fr/fr/statistiques (bpe18_ensemble_csv.zip)",
}

# key → (title, path in a mirror, columns, vintage, département it is limited to).
INSEE_FILES = {
    "filosofi_communes": (
        "Median disposable income by commune (INSEE Filosofi 2016)",
        "insee/filosofi-2016-communes.csv.gz",
        ("CODGEO", "MED16"),
        "2016",
        None,
    ),
    "bpe": (
        "Equipment by IRIS and type (INSEE BPE 2018)",
        "insee/bpe-2018-ensemble-iris-typequ.csv.gz",
        ("DEPCOM", "DCIRIS", "AN", "TYPEQU", "NB_EQUIP"),
        "2018",
        None,
    ),
    "filosofi_iris": (
        "Median disposable income by IRIS, Paris (INSEE Filosofi 2017)",
        "insee/filosofi-activite-2017-iris-paris.csv.gz",
        ("IRIS",),
        "2017",
        "75",
    ),
}


def surroundings_items(departements: list[str]) -> list[Item]:
    """Every file the `sr_*` features read (the coast's contours for all coastal ones)."""
    items = [
        Item(
            group="surroundings",
            title="SNCF Réseau: list of stations (liste des gares)",
            path="transport/sncf-liste-des-gares.csv",
            official_url=SNCF_STATIONS_URL,
            check=Check("csv", columns=("CODE_UIC", "VOYAGEURS", "X_WGS84", "Y_WGS84")),
            period="current network",
            licence=ODBL_PORTAL + " (SNCF open data)",
        ),
        Item(
            group="surroundings",
            title="Île-de-France Mobilités: station locations (emplacement des gares IDF)",
            path="transport/idfm-emplacement-des-gares-idf-2025.csv",
            official_url=IDFM_STATIONS_URL,
            official_path="transport/idfm-emplacement-des-gares-idf-latest.csv",
            check=Check("csv", columns=("geo_point_2d", "nom_gares", "res_com", "mode")),
            period="2025 (mirror); current network (official)",
            licence=ODBL_PORTAL + " (IDFM open data)",
        ),
        Item(
            group="surroundings",
            title="Communes littorales (loi Littoral), communes on the sea",
            path="communes/communes-littorales-2019-mer.csv",
            check=Check("csv"),
            period="2019",
            licence=LICENCE_OUVERTE,
            note="official list: DGALN, 'communes de la loi littoral' on data.gouv.fr "
            "(another layout, not read yet)",
        ),
    ]
    for key, (title, path, columns, year, departement) in INSEE_FILES.items():
        if departement is None or departement in departements:
            items.append(
                Item(
                    group="surroundings",
                    title=title,
                    path=path,
                    check=Check("csv", gzip=True, columns=columns),
                    period=year,
                    licence=LICENCE_OUVERTE + " (INSEE)",
                    departement=departement,
                    note=f"official page: {INSEE_PAGES[key]}",
                )
            )
    items.extend(
        contour_item(dep, "surroundings", " (the coastline)") for dep in COASTAL_DEPARTEMENTS
    )
    return items
