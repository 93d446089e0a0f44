"""INSEE tables → area values (code, name, year, value): Filosofi incomes, BPE equipment.

Empty cells (statistical secrecy) stay unknown, never 0. Equipment per commune is per
1000 inhabitants (the commune table's population); per IRIS, a plain count (IRIS are
drawn to hold about 2,000 inhabitants each).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from model.surroundings.areas import AREA_COLUMNS

# BPE equipment types by domain letter and sub-domain: C1 = primary schools, B1 and B2 =
# shops (large stores; everyday shops: bakeries, grocers…), D2 = health professionals
# (doctors, nurses, pharmacies are D3: left out).
EQUIPMENT = {"schools": ("C1",), "shops": ("B1", "B2"), "health": ("D2",)}
# Median income columns: the official names (MEDyy in the 2016-2017 commune bases, Q2yy,
# the second quartile, in the DISP files since 2018), and the mirror's Paris IRIS alias.
COMMUNE_MEDIAN = re.compile(r"^(?:MED|Q2)(\d\d)$")
IRIS_MEDIAN = re.compile(r"^DISP_MED(\d\d)$")
IRIS_MEDIAN_ALIASES = ("niveau_vie_median",)


# INSEE's CSVs start with a byte-order mark; codes and figures are ASCII, so a name in
# another encoding (older files are Latin-1) cannot corrupt what is read.
_TEXT = {"encoding": "utf-8-sig", "encoding_errors": "replace"}


def _read(path: Path, **options) -> pd.DataFrame:
    """A CSV whatever its separator (`,` in the mirror, `;` in INSEE's files)."""
    header = pd.read_csv(path, sep=None, engine="python", dtype=str, nrows=1, **_TEXT)
    first = ",".join(header.columns)
    with_commas = len(header.columns) > 1 and first in _first_line(path)
    return pd.read_csv(path, sep="," if with_commas else ";", dtype=str, **_TEXT, **options)


def _first_line(path: Path) -> str:
    with pd.io.common.get_handle(
        path, "r", compression="infer", errors="replace", encoding="utf-8-sig"
    ) as handle:
        return handle.handle.readline()


def filosofi_communes(path: Path) -> pd.DataFrame:
    """Median disposable income per consumption unit by commune (`MEDyy`)."""
    table = _read(path, nrows=0)
    column = next((c for c in table.columns if COMMUNE_MEDIAN.match(c)), None)
    if column is None:
        raise ValueError(f"{path.name}: no MEDyy column (median income) in {list(table.columns)}")
    year = 2000 + int(COMMUNE_MEDIAN.match(column).group(1))
    table = _read(path, usecols=["CODGEO", column])
    return _values(table["CODGEO"], "sr_income_commune", year, table[column])


def filosofi_iris(path: Path, year: int | None = None) -> pd.DataFrame:
    """Median disposable income by IRIS (`DISP_MEDyy`, or the mirror copy's alias)."""
    table = _read(path)
    column = next((c for c in table.columns if IRIS_MEDIAN.match(c)), None)
    if column is not None:
        year = 2000 + int(IRIS_MEDIAN.match(column).group(1))
    else:
        column = next((c for c in IRIS_MEDIAN_ALIASES if c in table.columns), None)
        found = [c for c in table.columns if re.match(r"^DISP_\w+?(\d\d)$", c)]
        if column is None or not found:
            raise ValueError(f"{path.name}: no IRIS median income column")
        year = 2000 + int(re.match(r"^DISP_\w+?(\d\d)$", found[0]).group(1))
    return _values(table["IRIS"], "sr_income_iris", year, table[column])


def bpe(path: Path, population: pd.Series) -> pd.DataFrame:
    """Schools, shops and health equipment: per 1000 inhabitants of the commune
    (`population`: by commune code) and counts per IRIS (where the BPE splits a commune)."""
    table = _read(path, usecols=["DEPCOM", "DCIRIS", "AN", "TYPEQU", "NB_EQUIP"])
    count = pd.to_numeric(table["NB_EQUIP"], errors="coerce")
    if count.isna().any():
        bad = table.loc[count.isna(), "NB_EQUIP"].head(3).tolist()
        rows = int(count.isna().sum())
        raise ValueError(f"{path.name}: NB_EQUIP is not a number in {rows} rows, e.g. {bad}")
    table = table.assign(n=count, iris=table["DCIRIS"].str.replace("_", "", regex=False))
    # DCIRIS is the commune code when the commune is not split into IRIS.
    split = table["DCIRIS"].str.contains("_", regex=False)
    frames = []
    for year, by_year in table.groupby("AN"):
        # The BPE lists every equipment: a commune (IRIS) it holds has 0 of a missing kind.
        communes = pd.Index(by_year["DEPCOM"].unique())
        iris = pd.Index(by_year.loc[split[by_year.index], "iris"].unique())
        people = population.reindex(communes).to_numpy(dtype="float64")
        for kind, prefixes in EQUIPMENT.items():
            part = by_year.loc[by_year["TYPEQU"].str.startswith(prefixes)]
            total = part.groupby("DEPCOM")["n"].sum().reindex(communes, fill_value=0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = np.where(people > 0, 1000 * total.to_numpy() / people, np.nan)
            frames.append(_values(communes, f"sr_{kind}_per_1000", int(year), rate))
            in_iris = part.loc[split[part.index]].groupby("iris")["n"].sum()
            counts = in_iris.reindex(iris, fill_value=0.0).to_numpy()
            frames.append(_values(iris, f"sr_{kind}_iris", int(year), counts))
    return pd.concat(frames, ignore_index=True)


def _values(codes, name: str, year: int, values) -> pd.DataFrame:
    """Rows of the area table; unknown values (empty, not a number) left out."""
    value = pd.Series(np.asarray(values))
    if not pd.api.types.is_numeric_dtype(value):  # text as read: decimal commas occur
        value = value.str.replace(",", ".", regex=False)
    value = pd.to_numeric(value, errors="coerce")
    frame = pd.DataFrame(
        {"code": pd.Series(np.asarray(codes)).astype(str).str.strip(), "name": name,
         "year": int(year), "value": value.astype("float64")}
    )  # fmt: skip
    return frame.loc[frame["value"].notna(), AREA_COLUMNS].reset_index(drop=True)
