"""The sales tables a bundle carries for serving: past sales and the commune history."""

from __future__ import annotations

import pandas as pd

from model import bundle as bundle_format
from model import features as feats
from model.market import MarketIndex
from model.prebuilt import serving_columns

# What a comparable shows besides, and the commune statistics' own code.
COMPARABLE_COLUMNS = (
    "mutation_id",
    "outbuildings",
    "price",
    "address_number",
    "street",
    "postcode",
    "code_commune",
    "commune_name",
    "code_commune_stats",
)
# The columns of the comparables and of the features' history at serving.
HISTORY_COLUMNS = tuple(dict.fromkeys(feats.HISTORY_INPUTS + COMPARABLE_COLUMNS))


def bundle_tables(sales: pd.DataFrame, market: MarketIndex) -> dict:
    """Past sales, the market index, the commune history and the same ready to search
    (memory-mapped columns), by file name in the bundle."""
    past = sales.loc[:, [c for c in HISTORY_COLUMNS if c in sales.columns]]
    history = commune_history(sales)
    return {
        bundle_format.SALES_TABLE: past,
        bundle_format.MARKET_TABLE: market.to_frame(),
        bundle_format.HISTORY_TABLE: history,
        bundle_format.SERVING_TABLE: serving_columns(past, market, history),
    }


def commune_history(sales: pd.DataFrame) -> pd.DataFrame:
    """Median €/m² and number of sales per commune × type (and all types) × quarter."""
    quarter = sales["date"].dt.to_period("Q").astype(str).str.replace("Q", "-Q", regex=False)
    frame = sales.assign(quarter=quarter)
    by_type = frame.groupby(["code_commune", "property_type", "quarter"]).agg(
        median_price_per_m2=("price_per_m2", "median"), sales=("price_per_m2", "size")
    )
    every = frame.groupby(["code_commune", "quarter"]).agg(
        median_price_per_m2=("price_per_m2", "median"), sales=("price_per_m2", "size")
    )
    every = every.reset_index().assign(property_type="all")
    out = pd.concat([by_type.reset_index(), every], ignore_index=True)
    return out.loc[:, ["code_commune", "property_type", "quarter", "median_price_per_m2", "sales"]]
