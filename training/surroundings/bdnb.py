"""BDNB (CSTB) building facts by parcel: construction year, storeys, dwellings.

The BDNB open archive (one per département, ODbL) links parcels to building groups in
`rel_batiment_groupe_parcelle` (`batiment_groupe_id`, `parcelle_id`) and describes the
groups from the land files in `batiment_groupe_ffo_bat` (`annee_construction`, `nb_niveau`,
`nb_log`). A sale's parcel (DVF `id_parcelle`, the same 14 characters) gets the facts of
its largest building group (most dwellings); a parcel the BDNB does not know: NaN.
No extract is available offline: written against the official layout, tested on fixtures.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

RELATION = "rel_batiment_groupe_parcelle"
BUILDINGS = "batiment_groupe_ffo_bat"
BDNB_FEATURES = ("bdnb_year", "bdnb_storeys", "bdnb_dwellings")


def _table(folder: Path, name: str, columns: list[str]) -> pd.DataFrame:
    """One table of the archive, CSV (as published) or Parquet."""
    for path in (folder / f"{name}.csv", folder / f"{name}.parquet"):
        if path.is_file():
            if path.suffix == ".csv":
                return pd.read_csv(path, usecols=columns, dtype=str)
            return pd.read_parquet(path, columns=columns).astype("string")
    raise FileNotFoundError(f"{folder}: no {name}.csv or {name}.parquet")


def read_bdnb(folder: Path) -> pd.DataFrame:
    """Per parcel: the construction year, storeys and dwellings of its largest building."""
    relation = _table(folder, RELATION, ["batiment_groupe_id", "parcelle_id"])
    buildings = _table(
        folder, BUILDINGS, ["batiment_groupe_id", "annee_construction", "nb_niveau", "nb_log"]
    )
    facts = buildings.assign(
        bdnb_year=pd.to_numeric(buildings["annee_construction"], errors="coerce"),
        bdnb_storeys=pd.to_numeric(buildings["nb_niveau"], errors="coerce"),
        bdnb_dwellings=pd.to_numeric(buildings["nb_log"], errors="coerce"),
    )
    joined = relation.merge(facts, on="batiment_groupe_id")
    joined["parcelle_id"] = joined["parcelle_id"].str.strip().str.upper()
    largest = joined.sort_values(
        ["parcelle_id", "bdnb_dwellings", "batiment_groupe_id"],
        ascending=[True, False, True],
        na_position="last",
    ).drop_duplicates("parcelle_id")
    return largest.set_index("parcelle_id").loc[:, list(BDNB_FEATURES)].astype("float64")


def match(sales: pd.DataFrame, parcels: pd.DataFrame) -> pd.DataFrame:
    """`BDNB_FEATURES` of each sale (index of `sales`) from its parcel, NaN if unknown."""
    keys = sales["parcel_id"].astype("string").str.strip().str.upper()
    found = parcels.reindex(keys.fillna("").to_numpy())
    found.index = sales.index
    return found
