"""An approximate coastline: points along the sea edge of the communes riveraines de la mer.

The official list of communes littorales (loi Littoral) names the communes on the sea;
the commune contours (IGN Admin Express, simplified) give their shape. The sea edge of a
coastal département is the outline of the union of its communes, kept where it runs
along a commune on the sea and away from every other département (their shared borders
are land). Points every `SPACING_DEG` along it stand for the coastline. Approximations:
contours simplified by IGN (an edge may be off by ~100 m), shores of estuaries and salt
lagoons left out (the list classes those communes apart), a sea commune's land border
with a foreign country (Hendaye, Menton, Bray-Dunes…) counted as coast.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

SEA = "riveraine de la mer"
# Degrees (≈ 150–220 m): the spacing of the coast's points and the tolerances below.
SPACING_DEG = 0.002
NEAR_SEA_COMMUNE_DEG = 0.005
NEAR_OTHER_DEPARTEMENT_DEG = 0.004


def read_sea_communes(path: Path) -> pd.DataFrame:
    """(departement, code_commune) of communes riveraines de la mer (no header, `;`)."""
    # Accents were damaged in the published copy: only codes and ASCII words are read.
    table = pd.read_csv(path, sep=";", header=None, dtype=str, encoding="latin-1")
    sea = table.loc[table[6].str.contains(SEA, case=False, na=False)]
    return pd.DataFrame(
        {"departement": sea[1].str.strip(), "code_commune": sea[3].str.strip().str.zfill(5)}
    ).reset_index(drop=True)


def coast_points(
    sea_communes: pd.DataFrame, contours: dict[str, Path], departements: Path | None
) -> tuple[pd.DataFrame, dict]:
    """Points along the coast (latitude, longitude) from the sea communes' contours
    (`contours`: département → its communes' GeoJSON), and what was used."""
    others = _departement_shapes(departements)
    points, used, missing = [], [], []
    for dep, codes in sea_communes.groupby("departement")["code_commune"]:
        path = contours.get(str(dep))
        if path is None:
            missing.append(str(dep))
            continue
        communes = read_shapes(path)
        communes["code"] = communes["code"].astype(str)
        sea = communes.loc[communes["code"].isin(set(codes))]
        if sea.empty:
            missing.append(str(dep))
            continue
        edges = _sea_edges(communes.geometry.to_numpy(), sea.index.to_numpy())
        # Only the départements near this one's shore: a union of all of them is slow.
        reach = shapely.box(*shapely.total_bounds(edges)).buffer(NEAR_SEA_COMMUNE_DEG)
        neighbours = [
            shape for code, shape in others.items() if code != str(dep) and shape.intersects(reach)
        ]
        if neighbours:
            land = shapely.union_all(neighbours).buffer(NEAR_OTHER_DEPARTEMENT_DEG)
            edges = shapely.difference(edges, land)
        coords = shapely.get_coordinates(shapely.segmentize(edges, SPACING_DEG))
        if len(coords):
            points.append(coords)
            used.append(str(dep))
    xy = np.unique(np.round(np.vstack(points), 5), axis=0) if points else np.empty((0, 2))
    report = {"departements": used, "without_contours": missing, "points": len(xy)}
    return pd.DataFrame({"latitude": xy[:, 1], "longitude": xy[:, 0]}), report


def _sea_edges(shapes: np.ndarray, sea_rows: np.ndarray) -> np.ndarray:
    """Each sea commune's outline where it touches no other commune: its shore."""
    tree = shapely.STRtree(shapes)
    edges = []
    for row in sea_rows:
        shape = shapes[row]
        near = [k for k in tree.query(shape, predicate="intersects") if k != row]
        outline = shape.boundary
        if near:
            others = shapely.union_all(shapes[near]).buffer(NEAR_SEA_COMMUNE_DEG / 2)
            outline = outline.difference(others)
        edges.append(outline)
    return np.asarray(edges, dtype=object)


def _departement_shapes(path: Path | None) -> dict[str, object]:
    """Département polygons by code (empty without the file)."""
    if path is None or not path.is_file():
        return {}
    frame = read_shapes(path)
    return dict(zip(frame["code"].astype(str), frame.geometry, strict=True))


def read_shapes(path: Path) -> gpd.GeoDataFrame:
    """A GeoJSON file (gzip-compressed when its name ends in .gz) in WGS84."""
    if str(path).endswith(".gz"):
        with gzip.open(path, "rb") as stream:
            frame = gpd.read_file(io.BytesIO(stream.read()))
    else:
        frame = gpd.read_file(path)
    return frame.set_crs("EPSG:4326") if frame.crs is None else frame.to_crs("EPSG:4326")
