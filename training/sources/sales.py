"""DVF: geo-DVF files, one per (year, département)."""

from __future__ import annotations

from training.sources.base import DVF_COLUMNS, DVF_URL, LICENCE_OUVERTE, Check, Item


def dvf_items(departements: list[str], years: list[int]) -> list[Item]:
    """geo-DVF, one file per (year, département)."""
    return [
        Item(
            group="dvf",
            title=f"DVF {year} département {dep}",
            path=f"geo-dvf/latest/csv/{year}/departements/{dep}.csv.gz",
            official_url=DVF_URL.format(year=year, dep=dep),
            check=Check("csv", gzip=True, columns=DVF_COLUMNS, date_column="date_mutation"),
            period=str(year),
            licence=LICENCE_OUVERTE + "; DVF reuse conditions (décret 2018-1350)",
            required=True,
            departement=dep,
            year=year,
        )
        for year in years
        for dep in departements
    ]
