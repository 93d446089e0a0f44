"""Readers for the SSMSI recorded-crime files, into one long table of published facts.

Every reader returns a `Read`: the rows it understood and the rows it rejected, each
with a reason, so that nothing is dropped silently. Unpublished figures (`ndiff`, empty
cells) are kept as unknown (NaN) with `published = False`, never turned into 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.geography import statistics_communes

# The three groups of the official indicators (as grouped by `groupes-indicateurs.json`
# in the mirror), plus burglary of dwellings, which is published per 1000 dwellings.
GROUP_INDICATORS: dict[str, tuple[str, ...]] = {
    "violence": (
        "Violences physiques intrafamiliales",
        "Violences physiques hors cadre familial",
        "Violences sexuelles",
        "Vols avec armes",
        "Vols violents sans arme",
    ),
    "property": (
        "Vols sans violence contre des personnes",
        "Cambriolages de logement",
        "Vols de véhicule",
        "Vols dans les véhicules",
        "Vols d'accessoires sur véhicules",
        "Escroqueries et fraudes aux moyens de paiement",
    ),
    "damage": ("Destructions et dégradations volontaires",),
}
BURGLARY_INDICATOR = "Cambriolages de logement"

# Labels of the 2023 edition (older layout) that name the same indicators.
OLD_LABELS = {
    "Coups et blessures volontaires intrafamiliaux": "Violences physiques intrafamiliales",
    "Autres coups et blessures volontaires": "Violences physiques hors cadre familial",
    "Vols de véhicules": "Vols de véhicule",
}

OFFICIAL_COLUMNS = (
    "CODGEO_2025;annee;indicateur;unite_de_compte;nombre;taux_pour_mille;est_diffuse;"
    "insee_pop;insee_pop_millesime;insee_log;insee_log_millesime;"
    "complement_info_nombre;complement_info_taux"
).split(";")


@dataclass(frozen=True)
class Read:
    """What a reader understood, and what it rejected with a reason."""

    table: pd.DataFrame
    rejected: pd.DataFrame

    @staticmethod
    def rejects(lines: pd.Series, raw: pd.Series, reason: pd.Series | str) -> pd.DataFrame:
        """A table of rejected rows: line number in the file, raw text, reason."""
        out = pd.DataFrame(
            {"line": np.asarray(lines, dtype="int64"), "raw": raw.astype(str).to_numpy()}
        )
        out["reason"] = reason if isinstance(reason, str) else np.asarray(reason, dtype=object)
        return out


def _french_number(values: pd.Series) -> pd.Series:
    """Numbers written with a decimal comma (and maybe spaces) as floats; blanks as NaN."""
    text = values.astype("string").str.strip().str.replace("\u00a0", "").str.replace(" ", "")
    text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text.replace({"": pd.NA, "NA": pd.NA}), errors="coerce").astype("float64")


def _line_numbers(frame: pd.DataFrame) -> pd.Series:
    # +2: one for the header, one because files count lines from 1.
    return pd.Series(frame.index.to_numpy() + 2, index=frame.index)


def _raw_text(frame: pd.DataFrame, sep: str) -> pd.Series:
    if frame.empty:
        return pd.Series([], dtype="str")
    return frame.astype("string").fillna("").agg(sep.join, axis=1)


def read_official_communes(path: str | Path) -> Read:
    """The official SSMSI communal base (long format, `ndiff` rows): CSV (`;`, decimal commas,
    maybe gzipped) or the Parquet edition of the same columns."""
    path = Path(path)
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path).astype("string").fillna("")
    else:
        frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    # The code column is named after the geography's year (CODGEO_2025, CODGEO_2024, …).
    geo = next((c for c in frame.columns if c.upper().startswith("CODGEO")), None)
    missing = [c for c in ("annee", "indicateur", "est_diffuse") if c not in frame]
    if geo is None or missing:
        raise ValueError(
            f"{path}: not the official communal layout, missing columns {missing or ['CODGEO_*']}"
        )
    frame = frame.rename(columns={geo: "CODGEO_2025"})
    count = _french_number(frame["nombre"])
    rate = _french_number(frame["taux_pour_mille"])
    year = pd.to_numeric(frame["annee"].str.strip(), errors="coerce")
    status = frame["est_diffuse"].str.strip().str.lower()
    code = frame["CODGEO_2025"].str.strip().str.zfill(5)

    reason = pd.Series(pd.NA, index=frame.index, dtype=object)
    reason[~code.str.fullmatch(r"[0-9][0-9AB][0-9]{3}")] = "bad commune code"
    reason[year.isna()] = "bad year"
    reason[~status.isin(["diff", "ndiff"])] = "est_diffuse is neither diff nor ndiff"
    reason[status.eq("diff") & count.isna()] = "published row without a count"
    bad = reason.notna()

    published = status.eq("diff") & count.notna()
    table = pd.DataFrame(
        {
            "code": statistics_communes(code),
            "year": year.astype("Int64"),
            "indicator": frame["indicateur"].str.strip(),
            # `ndiff`: too few facts to publish. Unknown, not zero, whatever the cell says.
            "count": count.where(published),
            "rate_per_1000": rate.where(published),
            "published": published,
            "population": _french_number(frame["insee_pop"]),
            "dwellings": _french_number(
                frame.get("insee_log", pd.Series(pd.NA, index=frame.index))
            ),
        }
    )[~bad]
    rejected = Read.rejects(_line_numbers(frame)[bad], _raw_text(frame[bad], ";"), reason[bad])
    return Read(table.reset_index(drop=True), rejected)


def _zero_is_unpublished(values: pd.Series) -> pd.Series:
    """Rates of the derived layers where 0 stands for "not published", as NaN.

    Those layers write unpublished small counts as 0: counts of 1 to 4 never appear, and
    0 is almost only found in communes under 2,000 inhabitants. A real zero cannot be
    told apart there, so 0 is unknown (the official long format says `ndiff` explicitly).
    """
    rate = pd.to_numeric(values, errors="coerce")
    return rate.mask(rate.eq(0))


def read_grouped_communes(path: str | Path) -> Read:
    """The grouped communal file: three groups' rates per 1000 inhabitants; empty = unpublished."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    code = frame["code_commune"].str.strip().str.zfill(5)
    year = pd.to_numeric(frame["annee"], errors="coerce")
    reason = pd.Series(pd.NA, index=frame.index, dtype=object)
    reason[~code.str.fullmatch(r"[0-9][0-9AB][0-9]{3}")] = "bad commune code"
    reason[year.isna()] = "bad year"
    bad = reason.notna()
    table = pd.DataFrame(
        {
            "code": statistics_communes(code),
            "year": year.astype("Int64"),
            "population": pd.to_numeric(frame["insee_pop"], errors="coerce"),
            "violence_rate": _zero_is_unpublished(frame["violences_personnes_p1000"]),
            "property_rate": _zero_is_unpublished(frame["atteintes_biens_p1000"]),
            "damage_rate": _zero_is_unpublished(frame["destructions_degradations_p1000"]),
            "completeness": pd.to_numeric(frame["completude"], errors="coerce"),
        }
    )[~bad]
    rejected = Read.rejects(_line_numbers(frame)[bad], _raw_text(frame[bad], ","), reason[bad])
    return Read(table.reset_index(drop=True), rejected)


def read_burglary_layer(path: str | Path) -> Read:
    """The official 'Cambriolages de logement' layer: rate per 1000 dwellings, published only."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    code = frame["insee"].str.strip().str.zfill(5)
    year = pd.to_numeric(frame["annee"], errors="coerce")
    rate = pd.to_numeric(frame["taux_pour_mille_logements"], errors="coerce")
    reason = pd.Series(pd.NA, index=frame.index, dtype=object)
    reason[rate.isna() | (rate < 0)] = "missing or negative rate"
    reason[~code.str.fullmatch(r"[0-9][0-9AB][0-9]{3}")] = "bad commune code"
    reason[year.isna()] = "bad year"
    bad = reason.notna()
    table = pd.DataFrame(
        {
            "code": statistics_communes(code),
            "year": year.astype("Int64"),
            "burglary_rate": _zero_is_unpublished(rate),
        }
    )[~bad]
    rejected = Read.rejects(_line_numbers(frame)[bad], _raw_text(frame[bad], ","), reason[bad])
    return Read(table.reset_index(drop=True), rejected)


def read_departements(path: str | Path) -> Read:
    """A departmental base, either layout (2025 edition or the older 2023 one), as facts."""
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if "Code_departement" in frame:
        dep = frame["Code_departement"].str.strip()
        year = pd.to_numeric(frame["annee"], errors="coerce")
        indicator = frame["indicateur"].str.strip()
        count = _french_number(frame["nombre"])
        rate = _french_number(frame["taux_pour_mille"])
        population = _french_number(frame["insee_pop"])
        dwellings = (
            _french_number(frame["insee_log"])
            if "insee_log" in frame
            # The copy lacks `insee_log`: burglary's rate is per 1000 dwellings, so count / rate.
            else (count / rate * 1000).where(indicator.eq(BURGLARY_INDICATOR))
        )
    elif "Code.département" in frame:
        dep = frame["Code.département"].str.strip()
        # The 2023 edition writes years with two digits.
        year = pd.to_numeric(frame["annee"], errors="coerce") + 2000
        indicator = frame["classe"].str.strip().replace(OLD_LABELS)
        count = _french_number(frame["faits"])
        rate = _french_number(frame["tauxpourmille"])
        population = _french_number(frame["POP"])
        dwellings = _french_number(frame["LOG"])
    else:
        raise ValueError(f"{path}: not a known SSMSI departmental layout")
    reason = pd.Series(pd.NA, index=frame.index, dtype=object)
    reason[count.isna()] = "missing count"
    reason[year.isna()] = "bad year"
    reason[~dep.str.fullmatch(r"[0-9][0-9AB][0-9]?")] = "bad département code"
    bad = reason.notna()
    table = pd.DataFrame(
        {
            "code": dep.str.zfill(2),
            "year": year.astype("Int64"),
            "indicator": indicator,
            "count": count,
            "rate_per_1000": rate,
            "published": count.notna(),
            "population": population,
            "dwellings": dwellings,
        }
    )[~bad]
    rejected = Read.rejects(_line_numbers(frame)[bad], _raw_text(frame[bad], ";"), reason[bad])
    return Read(table.reset_index(drop=True), rejected)


def group_rates(facts: pd.DataFrame) -> pd.DataFrame:
    """Rates per (code, year) of the three groups and burglary, from a long table of facts.

    A group's rate is known only when every indicator of the group is published for that
    code and year: a sum over the published ones alone would understate it.
    """
    keys = ["code", "year"]
    population = facts.groupby(keys)["population"].max()
    out = pd.DataFrame(index=population.index)
    out["population"] = population
    for group, indicators in GROUP_INDICATORS.items():
        rows = facts[facts["indicator"].isin(indicators)]
        grouped = rows.groupby(keys)
        complete = grouped["published"].all() & grouped["indicator"].nunique().eq(len(indicators))
        total = grouped["count"].sum(min_count=1)
        rate = (total / population.reindex(total.index) * 1000).where(complete)
        out[f"{group}_rate"] = rate.reindex(out.index)
    burglary = facts[facts["indicator"].eq(BURGLARY_INDICATOR)].set_index(keys)
    burglary = burglary[~burglary.index.duplicated()]
    dwellings = burglary["dwellings"]
    rate = (burglary["count"] / dwellings * 1000).where(dwellings > 0, burglary["rate_per_1000"])
    out["burglary_rate"] = rate.where(burglary["published"]).reindex(out.index)
    out["dwellings"] = dwellings.reindex(out.index)
    return out.reset_index()


def missing_indicators(facts: pd.DataFrame) -> dict[str, list[str]]:
    """Per year, the group indicators absent from the whole file (their groups stay unknown)."""
    wanted = {i for indicators in GROUP_INDICATORS.values() for i in indicators}
    present = facts.groupby("year")["indicator"].agg(set)
    return {str(year): sorted(wanted - found) for year, found in present.items() if wanted - found}


def area_rates(facts: pd.DataFrame) -> pd.DataFrame:
    """Rates of a set of areas pooled together (e.g. France from its départements), per year."""
    totals = facts.groupby(["year", "indicator"], as_index=False).agg(
        count=("count", "sum"), population=("population", "sum"), dwellings=("dwellings", "sum")
    )
    totals["code"] = "FR"
    totals["published"] = True
    totals["rate_per_1000"] = np.nan
    # Each area's population is repeated on each of its indicator rows, so the sum over
    # areas of one indicator's rows is the pooled population.
    totals["dwellings"] = totals["dwellings"].where(totals["indicator"].eq(BURGLARY_INDICATOR))
    return group_rates(totals)


def load_group_definitions(path: str | Path) -> dict[str, tuple[str, ...]]:
    """The groups of `groupes-indicateurs.json`, to check they match `GROUP_INDICATORS`."""
    groups = json.loads(Path(path).read_text(encoding="utf-8"))["groups"]
    names = {
        "violencesPersonnes": "violence",
        "securiteBiens": "property",
        "tranquillite": "damage",
    }
    return {names[k]: tuple(v) for k, v in groups.items() if k in names}


__all__ = [
    "BURGLARY_INDICATOR",
    "GROUP_INDICATORS",
    "OFFICIAL_COLUMNS",
    "Read",
    "area_rates",
    "group_rates",
    "load_group_definitions",
    "missing_indicators",
    "read_burglary_layer",
    "read_departements",
    "read_grouped_communes",
    "read_official_communes",
]
