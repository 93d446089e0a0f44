"""How complete each département's sales are: a partial file (a few communes, years
missing, fields DVF normally fills left empty) is said, never passed off as the whole.

The rules look at the data only, the same for every département: nothing is special-cased.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from model.geography import ARRONDISSEMENTS

# Below this share of its communes with a sale, a département's file covers part of it only:
# over five years nearly every commune of France sees at least one home sold.
MIN_COMMUNE_SHARE = 0.5
# A département file that starts later, or ends earlier, than the rest by more than this.
MAX_PERIOD_GAP_DAYS = 183
# With this many sales, none with an outbuilding (cellar, parking, garage) means that
# outbuildings were not recorded.
MIN_SALES_FOR_FIELDS = 200
MAX_MISSING_PARCEL_SHARE = 0.5
_WHOLE_CITIES = frozenset(city for _, _, city in ARRONDISSEMENTS)


@dataclass(frozen=True)
class DepartementData:
    """What the sales of one département hold; `gaps` are stable ids (worded by the app)."""

    code: str
    sales: int
    first_sale: str
    last_sale: str
    communes_with_sales: int
    communes: int
    gaps: tuple[str, ...]

    @property
    def is_partial(self) -> bool:
        return bool(self.gaps)

    def to_dict(self) -> dict:
        return {**asdict(self), "gaps": list(self.gaps)}


def departement_data(sales: pd.DataFrame, communes: pd.DataFrame) -> dict[str, DepartementData]:
    """Per département of `sales`: its volume, period, commune coverage and gaps."""
    if sales.empty:
        return {}
    first_overall, last_overall = sales["date"].min(), sales["date"].max()
    listed = communes.loc[~communes["code_commune"].isin(_WHOLE_CITIES)]
    communes_per_dep = listed.groupby("departement")["code_commune"].nunique()
    out = {}
    for dep, part in sales.groupby("departement", sort=True, observed=True):
        dep = str(dep)
        first, last = part["date"].min(), part["date"].max()
        with_sales = int(part["code_commune"].nunique())
        total = int(communes_per_dep.get(dep, with_sales))
        gaps = []
        if total and with_sales < MIN_COMMUNE_SHARE * total:
            gaps.append("few_communes")
        if (first - first_overall).days > MAX_PERIOD_GAP_DAYS:
            gaps.append("starts_late")
        if (last_overall - last).days > MAX_PERIOD_GAP_DAYS:
            gaps.append("ends_early")
        if len(part) >= MIN_SALES_FOR_FIELDS:
            if int(part["outbuildings"].sum()) == 0:
                gaps.append("no_outbuildings")
            parcel = part["parcel_id"].astype("string").str.strip()
            if (parcel.isna() | parcel.eq("")).mean() > MAX_MISSING_PARCEL_SHARE:
                gaps.append("no_parcels")
        out[dep] = DepartementData(
            code=dep,
            sales=int(len(part)),
            first_sale=first.date().isoformat(),
            last_sale=last.date().isoformat(),
            communes_with_sales=with_sales,
            communes=max(total, with_sales),
            gaps=tuple(gaps),
        )
    return out
