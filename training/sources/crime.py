"""Recorded crime (SSMSI): the official communal and departmental bases, and the mirror's
copies."""

from __future__ import annotations

from training.sources.base import (
    LICENCE_OUVERTE,
    SSMSI_COMMUNES_URL,
    SSMSI_DATASET_API,
    Check,
    Item,
)


def ssmsi_items() -> list[Item]:
    """Recorded crime: the official communal and departmental bases, and the mirror's copies."""
    return [
        Item(
            group="ssmsi",
            title="SSMSI communal base (long format, official)",
            path="ssmsi/communes-long.parquet",
            official_url=SSMSI_COMMUNES_URL,
            check=Check(
                "parquet",
                columns=(
                    "CODGEO_*",
                    "annee",
                    "indicateur",
                    "nombre",
                    "taux_pour_mille",
                    "est_diffuse",
                    "insee_pop",
                ),
            ),
            period="2016 to the latest published year",
            licence=LICENCE_OUVERTE,
            note="mirror equivalent: ssmsi/delinquance-communes-groupes-2016-2024.csv",
        ),
        Item(
            group="ssmsi",
            title="SSMSI departmental base (latest edition, official)",
            path=None,
            official_path="ssmsi/donnee-dep-data.gouv-latest.csv",
            official_url=SSMSI_DATASET_API,
            resolve=r"/donnee-dep-data\.gouv-[^/]*\.csv$",
            check=Check(
                "csv",
                columns=("Code_departement", "annee", "indicateur", "nombre", "taux_pour_mille"),
            ),
            period="2016 to the latest published year",
            licence=LICENCE_OUVERTE,
            note="mirror equivalent: ssmsi/donnee-dep-data.gouv-2025-geographie2025.csv",
        ),
        Item(
            group="ssmsi",
            title="SSMSI departmental base, 2026-01-22 edition (mirror copy)",
            path="ssmsi/donnee-dep-data.gouv-2025-geographie2025.csv",
            check=Check(
                "csv",
                columns=("Code_departement", "annee", "indicateur", "nombre", "taux_pour_mille"),
            ),
            period="2016-2025",
            licence=LICENCE_OUVERTE,
        ),
        Item(
            group="ssmsi",
            title="SSMSI departmental base, 2023-02-09 edition (mirror copy)",
            path="ssmsi/donnee-dep-data.gouv-2022-geographie2022-produit-le2023-02-09.csv",
            check=Check("csv", columns=("classe", "annee", "Code.département", "faits")),
            period="2016-2022",
            licence=LICENCE_OUVERTE,
        ),
        Item(
            group="ssmsi",
            title="Crime rates per commune in three groups (derived from the communal base)",
            path="ssmsi/delinquance-communes-groupes-2016-2024.csv",
            check=Check("csv", columns=("code_commune", "annee", "insee_pop", "completude")),
            period="2016-2024",
            licence=LICENCE_OUVERTE,
        ),
        Item(
            group="ssmsi",
            title="Official indicators forming each group",
            path="ssmsi/groupes-indicateurs.json",
            check=Check("json", keys=("groups",)),
            period="2016-2024",
            licence=LICENCE_OUVERTE,
        ),
        Item(
            group="ssmsi",
            title="SSMSI burglary of dwellings per commune",
            path="ssmsi/cambriolages-logement-communes-2016-2021.csv",
            check=Check("csv", columns=("insee", "annee", "taux_pour_mille_logements")),
            period="2016-2021",
            licence=LICENCE_OUVERTE,
        ),
    ]
