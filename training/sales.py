"""From DVF lot rows to one row per single-home sale (pure, vectorised).

A DVF mutation spans several rows: one per local and per land line, with the price
repeated on each, and each local repeated once per land line of its parcel. These
functions summarise each mutation once, then build the sales table of
`docs/ARCHITECTURE.md` from the mutations that cleaning keeps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.geography import statistics_communes

DWELLING_TYPES = {"Maison": "house", "Appartement": "apartment"}
OUTBUILDING = "Dépendance"
COMMERCIAL = "Local industriel. commercial ou assimilé"
VEFA = "Vente en l'état futur d'achèvement"
CARREZ_COLUMNS = [f"lot{n}_surface_carrez" for n in range(1, 6)]

# A land line of a parcel; each local of the parcel is repeated once per such line.
_LAND_LINE = ["code_nature_culture", "code_nature_culture_speciale", "surface_terrain"]
_PARCEL = ["id_mutation", "numero_disposition", "id_parcelle"]

SALES_COLUMNS = [
    "mutation_id", "date", "nature", "is_vefa", "price", "property_type", "living_area_m2",
    "carrez_area_m2", "rooms", "land_area_m2", "outbuildings", "lots", "parcel_id",
    "address_number", "address_suffix", "street", "street_code", "postcode", "code_commune",
    "commune_name", "code_commune_stats", "departement", "longitude", "latitude",
    "has_coordinates", "price_per_m2", "is_outlier", "outlier_reason",
]  # fmt: skip

# What the sales table takes from the dwelling's row.
_DWELLING_COLUMNS = [
    "id_mutation", "date_mutation", "type_local", "surface_reelle_bati", *CARREZ_COLUMNS,
    "nombre_pieces_principales", "nombre_lots", "id_parcelle", "adresse_numero",
    "adresse_suffixe", "adresse_nom_voie", "adresse_code_voie", "code_postal", "code_commune",
    "nom_commune", "longitude", "latitude",
]  # fmt: skip


def is_dwelling(rows: pd.DataFrame) -> pd.Series:
    """Rows describing a house or an apartment."""
    # Equality beats `isin` on Arrow-backed strings by an order of magnitude.
    kind = rows["type_local"]
    return (kind == "Maison") | (kind == "Appartement")


def mutation_keys(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.Index]:
    """Integer codes of the grouping columns (fast groupbys), and the mutation ids by code."""
    mutation, ids = pd.factorize(rows["id_mutation"])
    keys = {"id_mutation": mutation}
    for column in ("numero_disposition", "id_parcelle", "code_nature_culture",
                   "code_nature_culture_speciale"):  # fmt: skip
        keys[column] = pd.factorize(rows[column], use_na_sentinel=False)[0]
    keys["surface_terrain"] = rows["surface_terrain"].to_numpy()
    return pd.DataFrame(keys, index=rows.index), pd.Index(ids, name="id_mutation")


def count_locals(keys: pd.DataFrame, mask: pd.Series, mutations: int) -> np.ndarray:
    """Distinct locals per mutation code among `mask` rows, undoing the repetition per land line."""
    selected = keys.loc[mask.to_numpy()]
    per_line = selected.groupby([*_PARCEL, *_LAND_LINE], dropna=False, sort=False).size()
    # On one parcel every land line repeats the same locals: the largest count is the number.
    per_parcel = per_line.groupby(level=list(range(len(_PARCEL))), sort=False).max()
    per_mutation = per_parcel.groupby(level=0, sort=False).sum()
    counts = np.zeros(mutations, dtype="int64")
    counts[per_mutation.index.to_numpy()] = per_mutation.to_numpy()
    return counts


def land_area(keys: pd.DataFrame, mutations: int) -> np.ndarray:
    """Land area per mutation code, each land line of each parcel counted once."""
    land = keys.loc[keys["surface_terrain"].notna().to_numpy()]
    land = land.drop_duplicates(["id_mutation", "id_parcelle", *_LAND_LINE])
    area = land.groupby("id_mutation", sort=False)["surface_terrain"].sum()
    total = np.zeros(mutations, dtype="float64")
    total[area.index.to_numpy()] = area.to_numpy()
    return total


def summarise_mutations(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per mutation: what cleaning needs to decide whether it is a single-home sale."""
    keys, ids = mutation_keys(rows)
    code = keys["id_mutation"]
    n = len(ids)
    # Codes follow first appearance, so the first row of code k is the k-th unique position.
    first = np.unique(code.to_numpy(), return_index=True)[1]
    price = rows["valeur_fonciere"]
    dwellings = is_dwelling(rows)
    living = rows["surface_reelle_bati"].where(dwellings).groupby(code.to_numpy()).first()
    summary = pd.DataFrame(
        {
            "rows": np.bincount(code.to_numpy(), minlength=n),
            "nature": rows["nature_mutation"].to_numpy()[first],
            "price": price.groupby(code.to_numpy()).first().reindex(range(n)).to_numpy(),
            "prices": price.groupby(code.to_numpy()).nunique().reindex(range(n)).to_numpy(),
            "departement": rows["source_departement"].to_numpy()[first],
            "year": rows["source_year"].to_numpy()[first],
            "malformed": np.bincount(
                code.to_numpy(), weights=(rows["malformed_reason"] != "").to_numpy(), minlength=n
            )
            > 0,
            "dwellings": count_locals(keys, dwellings, n),
            "outbuildings": count_locals(keys, rows["type_local"] == OUTBUILDING, n),
            "commercial": count_locals(keys, rows["type_local"] == COMMERCIAL, n),
            "land_area_m2": land_area(keys, n),
            "living_area_m2": living.reindex(range(n)).to_numpy(),
        },
        index=ids,
    )
    summary["nature"] = summary["nature"].astype("str")
    summary["departement"] = summary["departement"].astype("str")
    return summary


def single_home_sales(rows: pd.DataFrame, mutations: pd.DataFrame) -> pd.DataFrame:
    """The sales table for `mutations` (kept by cleaning), typed as in docs/ARCHITECTURE.md."""
    dwelling = (
        rows.loc[is_dwelling(rows), _DWELLING_COLUMNS]
        .drop_duplicates("id_mutation")
        .set_index("id_mutation")
        .reindex(mutations.index)
    )
    carrez = dwelling[CARREZ_COLUMNS].sum(axis=1, min_count=1)
    living = dwelling["surface_reelle_bati"]
    price = mutations["price"]
    code_commune = dwelling["code_commune"]
    longitude, latitude = dwelling["longitude"], dwelling["latitude"]
    nature = mutations["nature"]
    sales = pd.DataFrame(
        {
            "mutation_id": mutations.index.astype("str"),
            "date": dwelling["date_mutation"].astype("datetime64[ns]").to_numpy(),
            "nature": nature.astype("category").to_numpy(),
            "is_vefa": (nature == VEFA).to_numpy(),
            "price": price.astype("float64").to_numpy(),
            "property_type": pd.Categorical(
                dwelling["type_local"].map(DWELLING_TYPES), categories=["apartment", "house"]
            ),
            "living_area_m2": living.astype("float32").to_numpy(),
            "carrez_area_m2": carrez.astype("float32").to_numpy(),
            "rooms": dwelling["nombre_pieces_principales"].round().astype("Int16").to_numpy(),
            "land_area_m2": mutations["land_area_m2"].astype("float32").to_numpy(),
            "outbuildings": mutations["outbuildings"].astype("int16").to_numpy(),
            "lots": dwelling["nombre_lots"].fillna(0).astype("int16").to_numpy(),
            "parcel_id": dwelling["id_parcelle"].to_numpy(),
            "address_number": dwelling["adresse_numero"].to_numpy(),
            "address_suffix": dwelling["adresse_suffixe"].to_numpy(),
            "street": dwelling["adresse_nom_voie"].to_numpy(),
            "street_code": dwelling["adresse_code_voie"].to_numpy(),
            "postcode": dwelling["code_postal"].to_numpy(),
            "code_commune": code_commune.to_numpy(),
            "commune_name": dwelling["nom_commune"].to_numpy(),
            "code_commune_stats": statistics_communes(code_commune).to_numpy(),
            "departement": mutations["departement"].to_numpy(),
            "longitude": longitude.astype("float64").to_numpy(),
            "latitude": latitude.astype("float64").to_numpy(),
            "has_coordinates": (longitude.notna() & latitude.notna()).to_numpy(),
            "price_per_m2": (price / living).astype("float32").to_numpy(),
            "is_outlier": np.zeros(len(mutations), dtype=bool),
            "outlier_reason": "",
        }
    )
    for column in ("mutation_id", "parcel_id", "address_number", "address_suffix", "street",
                   "street_code", "postcode", "code_commune", "commune_name",
                   "code_commune_stats", "departement", "outlier_reason"):  # fmt: skip
        sales[column] = sales[column].astype("str")
    return sales.loc[:, SALES_COLUMNS].reset_index(drop=True)
