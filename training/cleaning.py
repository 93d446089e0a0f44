"""Cleaning rules: each named once, applied in order, counted per département × year.

Rows are parsed here (malformed values reported with their reason, never silently
dropped); mutations are then given the first rule that removes them, or none.
The README ("From DVF rows to single-home sales") documents every rule below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from training.dvf import REJECTED_COLUMNS
from training.sales import VEFA

NUMERIC_COLUMNS = (
    "valeur_fonciere", "surface_reelle_bati", "nombre_pieces_principales", "nombre_lots",
    "surface_terrain", "longitude", "latitude",
    *(f"lot{n}_surface_carrez" for n in range(1, 6)),
)  # fmt: skip

MARKET_NATURES = ("Vente", VEFA)
EXCLUDED_NATURES = {
    "Adjudication": "auction",
    "Echange": "exchange",
    "Expropriation": "expropriation",
    "Vente terrain à bâtir": "building_land_sale",
}


@dataclass(frozen=True)
class Rule:
    """A named cleaning rule: what it does to a sale and why."""

    name: str
    action: str  # "removed" or "flagged"
    description: str


RULES = (
    Rule("malformed_line", "removed",
         "line that cannot be split into the file's columns, or has no mutation id"),
    Rule("covered_by_geo_dvf", "removed",
         "raw DGFiP row of a département × year that geo-DVF already gives"),
    Rule("malformed_row", "removed",
         "sale with a row whose id, date, commune or a number cannot be read"),
    Rule("auction", "removed", "nature Adjudication: auction, not a market sale"),
    Rule("exchange", "removed", "nature Echange: no market price"),
    Rule("expropriation", "removed", "nature Expropriation: price set by a public body"),
    Rule("building_land_sale", "removed", "nature Vente terrain à bâtir: land, not a home"),
    Rule("unknown_nature", "removed", "nature not listed in the DVF documentation"),
    Rule("no_price", "removed", "no valeur_fonciere, or zero"),
    Rule("inconsistent_price", "removed", "rows of one sale carry different prices"),
    Rule("commercial_premises", "removed", "sale includes a commercial or industrial local"),
    Rule("vefa_without_local", "removed",
         "off-plan sale whose home is not yet described (no local in DVF, no surface)"),
    Rule("no_dwelling", "removed", "sale of land or outbuildings only"),
    Rule("several_dwellings", "removed", "several dwellings under one global price"),
    Rule("no_living_area", "removed", "the dwelling has no built area (surface_reelle_bati)"),
    Rule("kept", "kept", "single-home sale written to the sales table"),
    Rule("vefa", "flagged", "off-plan new build (VEFA): kept, is_vefa = true"),
    Rule("missing_coordinates", "flagged", "DVF gives no coordinates: kept, never guessed"),
    Rule("symbolic_price", "flagged", "outlier: price below a symbolic threshold"),
    Rule("implausible_area", "flagged", "outlier: living area outside what a home can be"),
    Rule("price_per_m2_low", "flagged", "outlier: €/m² far below its area × type × period"),
    Rule("price_per_m2_high", "flagged", "outlier: €/m² far above its area × type × period"),
)  # fmt: skip
RULE_NAMES = tuple(rule.name for rule in RULES)


_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _numbers(text: pa.Array) -> pa.Array:
    """Float64 of trimmed strings; empty or unreadable values become null."""
    blank_as_null = pc.if_else(pc.equal(text, ""), None, text)
    try:
        return pc.cast(blank_as_null, pa.float64())
    except pa.ArrowInvalid:
        # Some value is not a number: only then pay for a regex over the column.
        readable = pc.match_substring_regex(blank_as_null, _NUMBER)
        return pc.cast(pc.if_else(readable, blank_as_null, None), pa.float64())


def _to_pandas(values: pa.Array, index: pd.Index) -> pd.Series:
    return pd.Series(values.to_numpy(zero_copy_only=False), index=index)


def parse_rows(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed lot rows (numbers as float64, date as datetime) and the malformed values found."""
    rows = raw.copy()
    reason = pd.Series("", index=raw.index, dtype="str")
    detail = pd.Series("", index=raw.index, dtype="str")

    def report(bad: pd.Series, name: str, value: pd.Series) -> None:
        # Keep the first reason of a row: one is enough to reject it.
        new = bad.to_numpy() & (reason == "").to_numpy()
        if new.any():
            reason[new] = name
            detail[new] = value[new].astype("str")

    def trimmed(column: str) -> pa.Array:
        return pc.utf8_trim_whitespace(pa.array(raw[column]))

    report(_to_pandas(pc.equal(trimmed("id_mutation"), ""), raw.index), "missing_mutation_id",
           raw["id_mutation"])  # fmt: skip
    dates = pc.strptime(trimmed("date_mutation"), format="%Y-%m-%d", unit="s", error_is_null=True)
    rows["date_mutation"] = _to_pandas(dates, raw.index).astype("datetime64[ns]")
    report(rows["date_mutation"].isna(), "malformed_date", raw["date_mutation"])
    report(_to_pandas(pc.equal(trimmed("code_commune"), ""), raw.index), "missing_commune",
           raw["code_commune"])  # fmt: skip
    for column in NUMERIC_COLUMNS:
        text = trimmed(column)
        values = _numbers(text)
        unreadable = pc.and_(pc.not_equal(text, ""), pc.is_null(values))
        report(_to_pandas(unreadable, raw.index), f"malformed_{column}", raw[column])
        rows[column] = _to_pandas(values, raw.index).astype("float64")
    for column, limit in (("longitude", 180), ("latitude", 90)):
        report(rows[column].abs() > limit, f"malformed_{column}", raw[column])
    rows["malformed_reason"] = reason
    bad = (reason != "").to_numpy()
    rejected = pd.DataFrame(
        {
            "source_file": raw.loc[bad, "source_file"],
            "source_line": raw.loc[bad, "source_line"],
            "source_departement": raw.loc[bad, "source_departement"],
            "source_year": raw.loc[bad, "source_year"],
            "mutation_id": raw.loc[bad, "id_mutation"],
            "reason": reason[bad],
            "detail": detail[bad],
        }
    )
    return rows, rejected.loc[:, list(REJECTED_COLUMNS)].reset_index(drop=True)


def exclusion_rule(mutations: pd.DataFrame) -> pd.Series:
    """The first rule that removes each mutation, or "kept"."""
    nature = mutations["nature"]
    checks = [
        ("malformed_row", mutations["malformed"]),
        *((rule, nature == label) for label, rule in EXCLUDED_NATURES.items()),
        ("unknown_nature", ~nature.isin(MARKET_NATURES)),
        ("no_price", ~(mutations["price"] > 0)),
        ("inconsistent_price", mutations["prices"] > 1),
        ("commercial_premises", mutations["commercial"] > 0),
        ("vefa_without_local", (nature == VEFA) & (mutations["dwellings"] == 0)),
        ("no_dwelling", mutations["dwellings"] == 0),
        ("several_dwellings", mutations["dwellings"] > 1),
        ("no_living_area", ~(mutations["living_area_m2"] > 0)),
    ]
    conditions = [applies.fillna(False).to_numpy(dtype=bool) for _, applies in checks]
    # np.select takes the first condition that holds: the order of `checks` is the rule order.
    chosen = np.select(conditions, [name for name, _ in checks], default="kept")
    return pd.Series(chosen, index=mutations.index, dtype="str")


def count_rules(mutations: pd.DataFrame, rejected_lines: pd.DataFrame) -> pd.DataFrame:
    """Rows and sales per rule × département × year, for removals and the kept total."""
    counts = (
        mutations.groupby(["rule", "departement", "year"], sort=False)
        .agg(rows=("rows", "sum"), sales=("rows", "size"))
        .reset_index()
    )
    lines = (
        rejected_lines.assign(rule="malformed_line")
        .groupby(["rule", "source_departement", "source_year"], sort=False)
        .size()
        .rename("rows")
        .reset_index()
        .rename(columns={"source_departement": "departement", "source_year": "year"})
        .assign(sales=0)
    )
    return pd.concat([counts, lines], ignore_index=True)


def count_flags(sales: pd.DataFrame) -> pd.DataFrame:
    """Sales kept but flagged (VEFA, no coordinates, outliers) per département × year."""
    year = sales["date"].dt.year
    flags = {
        "vefa": sales["is_vefa"],
        "missing_coordinates": ~sales["has_coordinates"],
        **{
            reason: sales["outlier_reason"] == reason
            for reason in (
                "symbolic_price",
                "implausible_area",
                "price_per_m2_low",
                "price_per_m2_high",
            )  # fmt: skip
        },
    }
    frames = [
        pd.DataFrame({"departement": sales["departement"], "year": year, "hit": hit})
        .groupby(["departement", "year"], sort=False)["hit"]
        .sum()
        .rename("sales")
        .reset_index()
        .assign(rule=name, rows=0)
        for name, hit in flags.items()
    ]
    flagged = pd.concat(frames, ignore_index=True)
    return flagged.loc[flagged["sales"] > 0]


def report_table(counts: pd.DataFrame) -> str:
    """The cleaning report as a text table: sales (rows) per rule and département."""
    counts = counts.assign(departement=counts["departement"].astype(str))
    deps = sorted(counts["departement"].unique())
    sales = counts.pivot_table(index="rule", columns="departement", values="sales",
                               aggfunc="sum", fill_value=0)  # fmt: skip
    rows = counts.groupby("rule")["rows"].sum()
    order = [name for name in RULE_NAMES if name in sales.index]
    actions = {rule.name: rule.action for rule in RULES}
    header = (f"{'rule':<22}{'action':<9}" + "".join(f"{d:>9}" for d in deps)
              + f"{'sales':>10}{'rows':>10}")  # fmt: skip
    lines = [header, "-" * len(header)]
    for name in order:
        cells = "".join(f"{int(sales.at[name, d]):>9}" for d in deps)
        total = int(sales.loc[name].sum())
        # A flag removes no row: leave the cell empty rather than print a misleading 0.
        total_rows = "" if actions[name] == "flagged" else int(rows.get(name, 0))
        lines.append(f"{name:<22}{actions[name]:<9}{cells}{total:>10}{total_rows:>10}")
    return "\n".join(lines)
