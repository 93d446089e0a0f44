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
# INSEE's downloads are zip archives on insee.fr ("fichier/<page>/<archive>"); the fetcher
# keeps the one member the reader needs, gzip-compressed.
INSEE_FILES_URL = "https://www.insee.fr/fr/statistiques/fichier"
BPE_2018 = (f"{INSEE_FILES_URL}/3568629/bpe18_ensemble_csv.zip", "bpe18_ensemble.csv")
# Filosofi by commune, the vintages published as CSV (2016 and before: Excel only, read
# from a mirror). A sale reads the latest vintage two years older than itself
# (`model.surroundings.areas`), so all of them serve a five-year window of sales. 2022 was
# not published; Filosofi 2 (2023 on) is another method in another layout: not read yet.
FILOSOFI_COMMUNES_OFFICIAL = {
    2017: ("4507225/base-filosofi-2017_CSV.zip", "cc_filosofi_2017_COM.CSV", "MED17"),
    **{
        year: (
            f"{page}/indic-struct-distrib-revenu-{year}-COMMUNES_csv.zip",
            f"FILO{year}_DISP_COM.csv",
            f"Q2{year % 100}",
        )
        for year, page in ((2018, 5009218), (2019, 6036907), (2020, 6692220), (2021, 7756855))
    },
}

# Filosofi by IRIS (2017 and before: Excel only). Member names vary by vintage (the 2021
# one is BASE_TD_FILO_IRIS_2021_DISP.csv), and each archive holds a `meta_…` description
# beside the table: the member is a pattern matching the table only.
FILOSOFI_IRIS_OFFICIAL = {
    2018: "5055909/BASE_TD_FILO_DISP_IRIS_2018.zip",
    2019: "6049648/BASE_TD_FILO_DISP_IRIS_2019.zip",
    2020: "7233950/BASE_TD_FILO_DISP_IRIS_2020_CSV.zip",
    2021: "8229323/BASE_TD_FILO_IRIS_2021_DISP_CSV.zip",
}


def insee_item(
    title: str, path: str | None, columns: tuple[str, ...], year: int, **options
) -> Item:
    """An INSEE table (gzip-compressed CSV); `official=(archive URL, member)` when insee.fr
    publishes it in a form the fetcher reads, `official_path` when no mirror holds it."""
    official_url, member = options.pop("official", (None, None))
    return Item(
        group="surroundings",
        title=f"{title} (INSEE {year})",
        path=path,
        official_url=official_url,
        archive_member=member,
        store_gzip=official_url is not None,
        check=Check("csv", gzip=True, columns=columns),
        period=str(year),
        licence=LICENCE_OUVERTE + " (INSEE)",
        year=year,
        **options,
    )


def insee_items(departements: list[str]) -> list[Item]:
    """The INSEE tables the `sr_income_*` and equipment features read."""
    items = [
        insee_item(
            "Median disposable income by commune, Filosofi",
            "insee/filosofi-2016-communes.csv.gz",
            ("CODGEO", "MED16"),
            2016,
            note="official page: https://www.insee.fr/fr/statistiques/3560121 (Excel only)",
        ),
        insee_item(
            "Equipment by IRIS and type, BPE",
            "insee/bpe-2018-ensemble-iris-typequ.csv.gz",
            ("DEPCOM", "DCIRIS", "AN", "TYPEQU", "NB_EQUIP"),
            2018,
            official=BPE_2018,
        ),
    ]
    if "75" in departements:
        items.append(
            insee_item(
                "Median disposable income by IRIS, Paris, Filosofi",
                "insee/filosofi-activite-2017-iris-paris.csv.gz",
                ("IRIS",),
                2017,
                departement="75",
                note="official page: https://www.insee.fr/fr/statistiques "
                "(BASE_TD_FILO_DISP_IRIS_2017)",
            )
        )
    return items + filosofi_official_items()


def filosofi_official_items() -> list[Item]:
    """Filosofi by commune and by IRIS from insee.fr, one item per CSV vintage (no mirror
    holds them)."""
    communes = [
        insee_item(
            "Median disposable income by commune, Filosofi",
            None,
            ("CODGEO", median),
            year,
            official=(f"{INSEE_FILES_URL}/{archive}", member),
            official_path=f"insee/filosofi-{year}-communes.csv.gz",
        )
        for year, (archive, member, median) in FILOSOFI_COMMUNES_OFFICIAL.items()
    ]
    iris = [
        insee_item(
            "Median disposable income by IRIS, Filosofi",
            None,
            ("IRIS", f"DISP_MED{year % 100}"),
            year,
            official=(f"{INSEE_FILES_URL}/{archive}", f"BASE_TD_FILO*IRIS*{year}*.csv"),
            official_path=f"insee/filosofi-{year}-iris-france.csv.gz",
        )
        for year, archive in FILOSOFI_IRIS_OFFICIAL.items()
    ]
    return communes + iris


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
    items.extend(insee_items(departements))
    items.extend(
        contour_item(dep, "surroundings", " (the coastline)") for dep in COASTAL_DEPARTEMENTS
    )
    return items
