"""`reference/surroundings/` from the raw files, and the `sr_*` features of a sales table.

Each source is optional: without its file, its features are unknown (NaN) everywhere and
training leaves them out. What was read, and its vintage, goes to `sources.json`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from model import features as feats
from model.mapped import Columns, write_columns
from model.surroundings import REFERENCE_DIR, Surroundings
from model.surroundings.areas import AREA_COLUMNS
from model.surroundings.signals import STATIONS_DIR
from model.surroundings.stations import ALWAYS, Network
from training.surroundings import coast, insee
from training.surroundings.stations import POINT_COLUMNS, read_idfm, read_sncf

SNCF = "transport/sncf-liste-des-gares.csv"
IDFM = "transport/idfm-emplacement-des-gares-idf-*.csv"
SEA_COMMUNES = "communes/communes-littorales-*-mer.csv"
CONTOURS = "communes/contours-2018/communes-*.geojson.gz"
DEPARTEMENTS = "communes/departements-2018.geojson"
FILOSOFI_COMMUNES = "insee/filosofi-*-communes.csv*"
FILOSOFI_IRIS = "insee/filosofi-*-iris-*.csv*"
BPE = "insee/bpe-*-iris-typequ.csv*"
IRIS_CONTOURS = "iris/contours-iris-*.geojson"
IRIS_CODE_COLUMNS = ("DCOMIRIS", "code_iris", "CODE_IRIS")


def _files(raw: Path, pattern: str) -> list[Path]:
    return sorted(raw.glob(pattern))


def build_reference(raw_dir: str | Path, out_dir: str | Path, communes: pd.DataFrame) -> dict:
    """Write `out_dir` (reference/surroundings/) from raw/; `communes`: the prepared commune
    table (population for equipment rates). Returns what `sources.json` records."""
    raw, out = Path(raw_dir), Path(out_dir)
    report: dict = {"sources": {}}
    empty = pd.DataFrame(columns=POINT_COLUMNS)
    networks = {"rail": empty, "urban": empty, "coast": empty}
    if (raw / SNCF).is_file():
        networks["rail"], report["sources"][SNCF] = read_sncf(raw / SNCF)
    for path in _files(raw, IDFM)[-1:]:
        networks["urban"], report["sources"][str(path.relative_to(raw))] = read_idfm(path)
    for path in _files(raw, SEA_COMMUNES)[-1:]:
        contours = {p.name.split("-")[1]: p for p in _files(raw, CONTOURS)}
        points, found = coast.coast_points(
            coast.read_sea_communes(path), contours, raw / DEPARTEMENTS
        )
        networks["coast"] = points.assign(opened_day=ALWAYS)
        report["sources"][str(path.relative_to(raw))] = found
    areas = [pd.DataFrame(columns=AREA_COLUMNS)]
    for path in _files(raw, FILOSOFI_COMMUNES):
        areas.append(insee.filosofi_communes(path))
    for path in _files(raw, FILOSOFI_IRIS):
        areas.append(insee.filosofi_iris(path))
    population = communes.set_index(communes["code_commune"].astype(str))["population"]
    for path in _files(raw, BPE):
        areas.append(insee.bpe(path, population.astype("float64")))
    table = pd.concat(areas, ignore_index=True).astype({"year": "int64"})
    for name, years in table.groupby("name")["year"].unique().items():
        report.setdefault("vintages", {})[str(name)] = sorted(int(y) for y in years)
    iris = read_iris(_files(raw, IRIS_CONTOURS))
    report["iris_contours"] = len(iris)

    if out.exists():
        shutil.rmtree(out)
    columns = Columns(meta={"layout": 1})
    for name, frame in networks.items():
        Network.build(frame["latitude"], frame["longitude"], frame["opened_day"]).store(
            name, columns
        )
        report.setdefault("points", {})[name] = len(frame)
    write_columns(out / STATIONS_DIR, columns)
    table.to_parquet(out / "areas.parquet", index=False)
    iris.to_parquet(out / "iris.parquet", index=False)
    (out / "sources.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report


def read_iris(paths: list[Path]) -> pd.DataFrame:
    """IRIS polygons (code, WKB in WGS84) of the contour files, first file first."""
    frames = []
    for path in paths:
        shapes = coast.read_shapes(path)
        column = next((c for c in IRIS_CODE_COLUMNS if c in shapes.columns), None)
        if column is None:
            raise ValueError(f"{path.name}: no IRIS code column ({', '.join(IRIS_CODE_COLUMNS)})")
        frames.append(
            pd.DataFrame(
                {
                    "code": shapes[column].astype(str).str.strip(),
                    "wkb": shapely.to_wkb(shapes.geometry.to_numpy()),
                }
            )
        )
    if not frames:
        return pd.DataFrame({"code": pd.Series(dtype=str), "wkb": pd.Series(dtype=object)})
    return pd.concat(frames, ignore_index=True).drop_duplicates("code")


def add_features(
    sales: pd.DataFrame, reference_dir: str | Path, groups: Sequence[str]
) -> pd.DataFrame:
    """The sales with the `sr_*` columns of `groups` known somewhere (`reference_dir`:
    reference/); the sales unchanged when the reference has no surroundings."""
    folder = Path(reference_dir)
    if not groups or not (folder / REFERENCE_DIR).is_dir():
        return sales
    wanted = feats.surroundings_of(groups)
    found = Surroundings.load(folder).features(
        sales["longitude"], sales["latitude"], sales["date"], sales["code_commune"]
    )
    known = [name for name in wanted if np.isfinite(found[name].to_numpy()).any()]
    return sales.assign(**{name: found[name].to_numpy() for name in known})


def known_shares(sales: pd.DataFrame) -> str:
    """ "sr_sea_m 100 %, sr_income_iris 31 %…": the share of sales each `sr_*` is known for."""
    names = [name for name in feats.SURROUNDINGS if name in sales.columns]
    if not names:
        return "no sr_* feature"
    return ", ".join(f"{name} {sales[name].notna().mean():.0%}" for name in names)
