"""ADEME DPE certificates matched to sales: the home's energy class, construction period
and floor, from a certificate of the same address and surface dated before the sale.

A sale's address key is the BAN `cle_interop`, `<INSEE>_<FANTOIR street>_<number>[_<suffix>]`,
which the DPE base carries as `identifiant_ban` and DVF spells with its `code_commune`,
`adresse_code_voie`, number and suffix. Among the certificates of that address for the
same kind of home, dated strictly before the sale, with a living area within
`SURFACE_TOLERANCE`, the closest in surface (then the latest) is the home's. No match: NaN.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

# Official column → ours; the 2025 Paris extract suffixes names with `_ademe` and spells the
# floor `ndeg_etage_appartement` (the base's former `N°_étage_appartement`).
DPE_COLUMNS = {
    "identifiant_ban": "ban_id",
    "date_etablissement_dpe": "date",
    "etiquette_dpe": "energy_class",
    "periode_construction": "period",
    "numero_etage_appartement": "floor",
    "surface_habitable_logement": "surface",
    "type_batiment": "building_type",
}
ALIASES = {
    "numero_etage_appartement": ("ndeg_etage_appartement",),
    "etiquette_dpe": ("classe_consommation_energie",),
}
DPE_FEATURES = ("dpe_energy_class", "dpe_period_year", "dpe_floor")
ENERGY_CLASSES = {letter: k + 1 for k, letter in enumerate("ABCDEFG")}
# A construction period's middle year (its bounds as the DPE base writes them).
PERIOD_YEARS = {
    "avant 1948": 1930, "1948-1974": 1961, "1975-1977": 1976, "1978-1982": 1980,
    "1983-1988": 1986, "1989-2000": 1995, "2001-2005": 2003, "2006-2012": 2009,
    "2013-2021": 2017, "après 2021": 2023,
}  # fmt: skip
BUILDING_TYPES = {"appartement": "apartment", "maison": "house"}
SURFACE_TOLERANCE = 0.10
SUFFIXES = {"B": "bis", "T": "ter", "Q": "quater", "C": "c", "A": "a"}


def read_dpe(path: Path) -> pd.DataFrame:
    """Certificates in our columns from a CSV or Parquet in the official layout (or the
    `_ademe`-suffixed one)."""
    table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)
    columns = {}
    for official, ours in DPE_COLUMNS.items():
        names = (official, *ALIASES.get(official, ()))
        found = next(
            (c for name in names for c in (name, f"{name}_ademe") if c in table.columns), None
        )
        if found is None:
            raise ValueError(f"{path.name}: no {official} column")
        columns[ours] = table[found]
    frame = pd.DataFrame(columns)
    return pd.DataFrame(
        {
            "ban_id": frame["ban_id"].astype("string").str.strip().str.lower(),
            "date": pd.to_datetime(frame["date"], errors="coerce"),
            "energy_class": frame["energy_class"].astype("string").str.strip().map(ENERGY_CLASSES),
            "period_year": frame["period"].astype("string").str.strip().map(PERIOD_YEARS),
            "floor": pd.to_numeric(frame["floor"], errors="coerce"),
            "surface": pd.to_numeric(frame["surface"], errors="coerce"),
            "property_type": frame["building_type"].astype("string").str.strip().str.lower()
            .map(BUILDING_TYPES),
        }
    )  # fmt: skip


def address_keys(sales: pd.DataFrame) -> pd.Series:
    """The BAN `cle_interop` of each sale's address (<NA> without street code or number)."""
    number = pd.to_numeric(sales["address_number"], errors="coerce")
    street = sales["street_code"].astype("string").str.strip().str.lower()
    suffix = sales["address_suffix"].astype("string").str.strip().str.upper()
    suffix = suffix.map(lambda s: SUFFIXES.get(s, s.lower()) if isinstance(s, str) and s else "")
    key = (
        sales["code_commune"].astype("string") + "_" + street + "_"
        + number.map(lambda n: f"{int(n):05d}" if n == n else pd.NA).astype("string")
    )  # fmt: skip
    key = key.where(street.str.len() > 0)
    return (key + suffix.map(lambda s: f"_{s}" if s else "")).astype("string")


def match(sales: pd.DataFrame, certificates: pd.DataFrame) -> pd.DataFrame:
    """`DPE_FEATURES` of each sale (index of `sales`), NaN where no certificate fits."""
    out = pd.DataFrame(np.nan, index=sales.index, columns=list(DPE_FEATURES))
    left = pd.DataFrame(
        {
            "row": sales.index,
            "ban_id": address_keys(sales),
            "sale_date": pd.to_datetime(sales["date"]),
            "area": pd.to_numeric(sales["living_area_m2"], errors="coerce"),
            "property_type": sales["property_type"].astype(str),
        }
    ).dropna(subset=["ban_id"])
    pairs = left.merge(certificates.dropna(subset=["ban_id"]), on=["ban_id", "property_type"])
    gap = (pairs["surface"] - pairs["area"]).abs()
    fits = (pairs["date"] < pairs["sale_date"]) & (gap <= SURFACE_TOLERANCE * pairs["area"])
    pairs = pairs.loc[fits].assign(gap=gap[fits])
    best = pairs.sort_values(["row", "gap", "date"], ascending=[True, True, False])
    best = best.drop_duplicates("row").set_index("row")
    out.loc[best.index, "dpe_energy_class"] = best["energy_class"]
    out.loc[best.index, "dpe_period_year"] = best["period_year"]
    out.loc[best.index, "dpe_floor"] = best["floor"]
    return out


def match_report(sales: pd.DataFrame, certificates: pd.DataFrame) -> dict:
    """How many certificates find their address, a sale of their surface, one dated after."""
    keys = address_keys(sales)
    pairs = pd.DataFrame(
        {"ban_id": keys, "sale_date": pd.to_datetime(sales["date"]),
         "area": pd.to_numeric(sales["living_area_m2"], errors="coerce"),
         "property_type": sales["property_type"].astype(str)}
    ).dropna(subset=["ban_id"]).merge(
        certificates.reset_index(names="certificate"), on=["ban_id", "property_type"]
    )  # fmt: skip
    surface = (pairs["surface"] - pairs["area"]).abs() <= SURFACE_TOLERANCE * pairs["area"]
    before = surface & (pairs["date"] < pairs["sale_date"])
    known = certificates["ban_id"].notna()
    return {
        "certificates": int(len(certificates)),
        "with_ban_id": int(known.sum()),
        "dated_until": str(certificates["date"].max().date()),
        "address_in_sales": int(certificates.loc[known, "ban_id"].isin(set(keys.dropna())).sum()),
        "same_surface_sale": int(pairs.loc[surface, "certificate"].nunique()),
        "dated_before_a_sale": int(pairs.loc[before, "certificate"].nunique()),
        "sales_matched": int(match(sales, certificates)["dpe_energy_class"].notna().sum()),
        "sales": int(len(sales)),
    }
