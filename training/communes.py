"""The communes reference: one row per commune or arrondissement, for serving and joins."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pv

from model.geography import statistics_communes
from training.communes_geo_api import GEO_API_FILE, read_communes_geo_api

COMMUNES_FILE = Path("communes") / "communes-cog2024-population2021.csv"

COMMUNES_SCHEMA = pa.schema(
    [
        ("code_commune", pa.string()),
        ("name", pa.string()),
        ("departement", pa.string()),
        ("code_commune_stats", pa.string()),
        ("population", pa.int64()),
        ("area_km2", pa.float64()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
        ("postcode", pa.string()),
    ]
)

_CITIES = {"75056": "Paris", "69123": "Lyon", "13055": "Marseille"}


def read_communes_csv(path: Path) -> pd.DataFrame:
    """The COG 2024 communes file, codes kept as strings."""
    codes = ("insee_com", "insee_reg", "insee_dep", "code_postal", "commune_type", "insee_parente")
    table = pv.read_csv(
        path, convert_options=pv.ConvertOptions(column_types={c: pa.string() for c in codes})
    )
    return table.to_pandas()


def read_communes(raw_dir: Path) -> pd.DataFrame | None:
    """The communes under raw/: the mirror's COG CSV, else the geo API's answer (official)."""
    if (raw_dir / COMMUNES_FILE).is_file():
        return read_communes_csv(raw_dir / COMMUNES_FILE)
    if (raw_dir / GEO_API_FILE).is_file():
        return read_communes_geo_api(raw_dir / GEO_API_FILE)
    return None


def build_communes(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per commune (COM) and arrondissement (ARM), plus Paris, Lyon and Marseille whole."""
    # The file has one row per (commune, postcode): keep the smallest postcode.
    rows = raw.loc[raw["commune_type"].isin(["COM", "ARM"])].sort_values(
        ["insee_com", "code_postal"]
    )
    rows = rows.drop_duplicates("insee_com")
    communes = pd.DataFrame(
        {
            "code_commune": rows["insee_com"],
            "name": rows["commune"],
            "departement": rows["insee_dep"],
            "population": rows["population_2021"].astype("Int64"),
            "area_km2": rows["superficie_km2"].astype("float64"),
            "latitude": rows["lat"].astype("float64"),
            "longitude": rows["lng"].astype("float64"),
            "postcode": rows["code_postal"],
        }
    )
    communes["code_commune_stats"] = statistics_communes(communes["code_commune"])
    # The cities themselves are not rows of COG: statistics (SSMSI, INSEE) are given for them.
    arrondissements = communes.loc[communes["code_commune"] != communes["code_commune_stats"]]
    weight = arrondissements["area_km2"]
    cities = (
        arrondissements.assign(
            wlat=arrondissements["latitude"] * weight, wlon=arrondissements["longitude"] * weight
        )  # fmt: skip
        .groupby("code_commune_stats")
        .agg(
            departement=("departement", "first"),
            population=("population", "sum"),
            area_km2=("area_km2", "sum"),
            wlat=("wlat", "sum"),
            wlon=("wlon", "sum"),
            postcode=("postcode", "min"),
        )  # fmt: skip
        .reset_index()
    )
    cities = cities.assign(
        code_commune=cities["code_commune_stats"],
        name=cities["code_commune_stats"].map(_CITIES),
        latitude=cities["wlat"] / cities["area_km2"],
        longitude=cities["wlon"] / cities["area_km2"],
    )
    cities = cities.loc[~cities["code_commune"].isin(communes["code_commune"])]
    table = pd.concat([communes, cities[communes.columns]], ignore_index=True)
    return table.loc[:, COMMUNES_SCHEMA.names].sort_values("code_commune", ignore_index=True)


def communes_table(communes: pd.DataFrame) -> pa.Table:
    """The communes as an Arrow table with the reference schema."""
    return pa.Table.from_pandas(communes, schema=COMMUNES_SCHEMA, preserve_index=False)
