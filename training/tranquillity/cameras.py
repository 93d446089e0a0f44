"""Readers for camera locations (OSM, GeoJSON, Paris lists) and their merge into one table.

Every reader returns a `Read` (cameras understood, rows rejected with a reason). A camera
is `longitude`, `latitude` (WGS84), `in_service` (NaT = unknown) and `source`.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from sklearn.neighbors import KDTree

from training.tranquillity.crossings import CROSSING_PRECISION_M, StreetIndex, locate_crossings
from training.tranquillity.ssmsi import Read

CAMERA_COLUMNS = ["longitude", "latitude", "in_service", "source"]
LAMBERT_93 = "EPSG:2154"
WGS84 = "EPSG:4326"
DUPLICATE_RADIUS_M = 15.0
# Position uncertainty of the prefectoral lists' own coordinates (sites at crossings).
LIST_PRECISION_M = 10.0
# "Début 2012" (early 2012): taken as the end of the first quarter, so that a camera is
# never counted before it could have existed.
EARLY_YEAR_MONTH_DAY = (3, 31)
# Excel serial dates (days since 1899-12-30) appear in the geocoded Paris list.
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _cameras(longitude, latitude, in_service, source: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "longitude": np.asarray(longitude, dtype="float64"),
            "latitude": np.asarray(latitude, dtype="float64"),
            "in_service": pd.to_datetime(pd.Series(in_service, dtype="object")).astype(
                "datetime64[ms]"
            ),
            "source": source,
        }
    )


def _valid_point(longitude: pd.Series, latitude: pd.Series) -> pd.Series:
    return longitude.between(-180, 180) & latitude.between(-90, 90)


def _empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({"line": pd.Series(dtype="int64"), "raw": [], "reason": []})


def read_overpass_json(path: str | Path, source: str = "osm") -> Read:
    """Overpass API JSON (`[out:json]`): `man_made=surveillance` nodes with lat/lon."""
    elements = json.loads(Path(path).read_text(encoding="utf-8")).get("elements", [])
    keep, rejects = [], []
    for i, element in enumerate(elements):
        tags = element.get("tags", {})
        # Ways and relations carry a `center` when asked with `out center`.
        point = element if "lat" in element else element.get("center", {})
        if reason := _not_a_camera(tags):
            rejects.append((i, json.dumps(element)[:300], reason))
        elif not isinstance(point.get("lat"), int | float) or not isinstance(
            point.get("lon"), int | float
        ):
            rejects.append((i, json.dumps(element)[:300], "no coordinates"))
        else:
            keep.append((point["lon"], point["lat"], _osm_date(tags)))
    lon, lat, when = zip(*keep, strict=True) if keep else ((), (), ())
    rejected = (
        pd.DataFrame(rejects, columns=["line", "raw", "reason"]) if rejects else _empty_rejects()
    )
    return Read(_cameras(lon, lat, when, source), rejected)


def _not_a_camera(tags: dict) -> str | None:
    """Why an OSM object's tags are not a surveillance camera, None when they are."""
    if tags.get("man_made") != "surveillance":
        return "not man_made=surveillance"
    if tags.get("surveillance:type", "camera") not in ("camera", "ALPR"):
        return "surveillance:type is not a camera"
    return None


def _osm_date(tags: dict) -> pd.Timestamp | None:
    """`start_date` when mappers gave one (YYYY, YYYY-MM or YYYY-MM-DD), else unknown."""
    value = str(tags.get("start_date", "")).strip()
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value)
    if not match:
        return None
    year, month, day = match.groups()
    try:
        # A partial date is taken at the end of its period: never counted before it existed.
        if month is None:
            return pd.Timestamp(int(year), 12, 31)
        if day is None:
            return pd.Timestamp(int(year), int(month), 1) + pd.offsets.MonthEnd(0)
        return pd.Timestamp(value)
    except ValueError:  # mappers' typos (month 13, 30 February): unknown, like no date
        return None


def read_osm_xml(path: str | Path, source: str = "osm") -> Read:
    """OSM XML (`.osm`): nodes tagged `man_made=surveillance`."""
    keep, rejects = [], []
    for i, (_, node) in enumerate(ET.iterparse(path, events=("end",))):
        if node.tag != "node":
            continue
        tags = {t.get("k"): t.get("v") for t in node.findall("tag")}
        raw = ET.tostring(node, encoding="unicode")[:300]
        try:
            lon, lat = float(node.get("lon")), float(node.get("lat"))
        except (TypeError, ValueError):
            rejects.append((i, raw, "no coordinates"))
            continue
        if reason := _not_a_camera(tags):
            rejects.append((i, raw, reason))
        else:
            keep.append((lon, lat, _osm_date(tags)))
        node.clear()
    lon, lat, when = zip(*keep, strict=True) if keep else ((), (), ())
    rejected = (
        pd.DataFrame(rejects, columns=["line", "raw", "reason"]) if rejects else _empty_rejects()
    )
    return Read(_cameras(lon, lat, when, source), rejected)


def read_geojson_points(path: str | Path, source: str) -> Read:
    """GeoJSON point features (any CRS, reprojected to WGS84); no date in service."""
    frame = gpd.read_file(path)
    if frame.crs is None:
        # RFC 7946: GeoJSON without a `crs` member is WGS84.
        frame = frame.set_crs(WGS84)
    frame = frame.to_crs(WGS84)
    is_point = frame.geometry.geom_type.eq("Point") & ~frame.geometry.is_empty
    bad = ~is_point
    points = frame[is_point]
    rejected = Read.rejects(
        pd.Series(np.flatnonzero(bad.to_numpy())),
        frame[bad].geometry.astype(str),
        "not a point",
    )
    return Read(
        _cameras(points.geometry.x, points.geometry.y, [None] * len(points), source), rejected
    )


def parse_paris_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates in service of the Paris lists: `dd/mm/yy`, Excel serials, `Début YYYY`; else NaT.

    Returns the dates and, for each row, why it is unknown (`None` when known).
    """
    text = values.astype("string").str.strip().fillna("")
    dates = pd.to_datetime(text, format="%d/%m/%y", errors="coerce")
    serial = text.str.fullmatch(r"\d{5}")
    dates = dates.mask(
        serial, EXCEL_EPOCH + pd.to_timedelta(pd.to_numeric(text.where(serial)), unit="D")
    )
    early = text.str.extract(r"^Début (\d{4})$", expand=False)
    month, day = EARLY_YEAR_MONTH_DAY
    early_dates = pd.to_datetime(early + f"-{month:02d}-{day:02d}", errors="coerce")
    dates = dates.fillna(early_dates)
    why = pd.Series(None, index=values.index, dtype=object)
    why[dates.isna()] = "date in service unknown: " + text[dates.isna()]
    return dates, why


def read_paris_list(
    path: str | Path,
    source: str,
    streets: StreetIndex | None = None,
    seen_sites: set[str] | None = None,
) -> Read:
    """A Paris prefectoral list (`;`): rows with coordinates become cameras; rows at a
    street crossing are placed with `streets` (BAN) when given; the rest are rejected.

    `seen_sites` holds the site numbers of lists read before: a site listed twice is one
    camera site. It is updated with this list's sites.
    """
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    date_column = next(c for c in frame.columns if c.lower().startswith("date de mise en service"))
    dates, _ = parse_paris_dates(frame[date_column])
    site = frame.get("Numéro", pd.Series("", index=frame.index)).str.strip().str.lstrip("0")
    seen_sites = set() if seen_sites is None else seen_sites
    repeated = site.ne("") & site.isin(seen_sites)
    reason = pd.Series(None, index=frame.index, dtype=object)
    precision = pd.Series(LIST_PRECISION_M, index=frame.index, dtype="float64")
    if {"lon", "lat"} <= set(frame.columns):
        lon = pd.to_numeric(frame["lon"].str.replace(",", "."), errors="coerce")
        lat = pd.to_numeric(frame["lat"].str.replace(",", "."), errors="coerce")
        reason[~(lon.notna() & lat.notna() & _valid_point(lon, lat))] = (
            "missing or invalid coordinates"
        )
    elif streets is not None:
        placed = locate_crossings(frame[~repeated], streets).reindex(frame.index)
        lon, lat, reason = placed["longitude"], placed["latitude"], placed["reason"]
        precision[:] = CROSSING_PRECISION_M
    else:
        lon = lat = pd.Series(np.nan, index=frame.index)
        reason[:] = "not geocoded (address only)"
    reason[repeated] = "site already listed in an earlier list (same Numéro)"
    seen_sites.update(site[site.ne("") & reason.isna()])
    located = reason.isna()
    rejected = Read.rejects(
        pd.Series(np.flatnonzero(~located.to_numpy()) + 2),
        frame[~located].agg(";".join, axis=1) if (~located).any() else pd.Series([], dtype="str"),
        reason[~located],
    )
    cameras = _cameras(lon[located], lat[located], dates[located], source)
    cameras["precision_m"] = precision[located].to_numpy()
    return Read(cameras, rejected)


def merge_cameras(frames: list[pd.DataFrame], radius_m: float = DUPLICATE_RADIUS_M) -> pd.DataFrame:
    """One table from sources given best first, a camera of a later source being the same
    as one already kept when within `radius_m` (+ both positions' `precision_m`).

    Matching is one to one (the closest pairs first): a source lists a camera once, so
    two cameras of one source near a kept camera are not both its duplicates. The kept
    camera takes the earliest known date in service.
    """
    frames = [f for f in frames if len(f)]
    if not frames:
        empty = _cameras([], [], [], "")
        return empty.assign(sources=empty["source"], precision_m=0.0, x=np.empty(0), y=np.empty(0))
    prepared = []
    for frame in frames:
        frame = frame.reset_index(drop=True).copy()
        if "precision_m" not in frame:
            frame["precision_m"] = 0.0
        frame["x"], frame["y"] = _lambert93(frame["longitude"], frame["latitude"])
        frame["sources"] = frame["source"]
        prepared.append(frame)
    kept = prepared[0]
    for frame in prepared[1:]:
        matches = _one_to_one(kept, frame, radius_m)
        for i, j in matches:
            kept.loc[i, "in_service"] = min_date(
                kept.at[i, "in_service"], frame.at[j, "in_service"]
            )
            if frame.at[j, "source"] not in kept.at[i, "sources"].split("+"):
                kept.loc[i, "sources"] = kept.at[i, "sources"] + "+" + frame.at[j, "source"]
        new = frame.drop(index=[j for _, j in matches])
        kept = pd.concat([kept, new], ignore_index=True)
    return kept.loc[:, [*CAMERA_COLUMNS, "sources", "precision_m", "x", "y"]]


def min_date(a, b):
    """The earlier of two dates, NaT meaning unknown."""
    if pd.isna(a):
        return b
    return a if pd.isna(b) else min(a, b)


def _lambert93(longitude: pd.Series, latitude: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    projected = gpd.GeoSeries.from_xy(longitude, latitude, crs=WGS84).to_crs(LAMBERT_93)
    # Distances in metres need a projected CRS: refuse to go on with anything else.
    if not projected.crs.is_projected or projected.crs.axis_info[0].unit_name != "metre":
        raise ValueError(f"camera merge needs a metric CRS, got {projected.crs}")
    return projected.x.to_numpy(), projected.y.to_numpy()


def _one_to_one(kept: pd.DataFrame, other: pd.DataFrame, radius_m: float) -> list[tuple[int, int]]:
    """(kept row, other row) pairs of the same camera, closest pairs first."""
    kept_xy, other_xy = kept[["x", "y"]].to_numpy(), other[["x", "y"]].to_numpy()
    reach = radius_m + kept["precision_m"].max() + other["precision_m"].max()
    found, distances = KDTree(kept_xy).query_radius(other_xy, r=reach, return_distance=True)
    pairs = [
        (d, i, j)
        for j, (rows, dists) in enumerate(zip(found, distances, strict=True))
        for i, d in zip(rows, dists, strict=True)
        if d <= radius_m + kept.at[i, "precision_m"] + other.at[j, "precision_m"]
    ]
    used_kept, used_other, matches = set(), set(), []
    for _, i, j in sorted(pairs):
        if i not in used_kept and j not in used_other:
            used_kept.add(i)
            used_other.add(j)
            matches.append((int(i), int(j)))
    return matches
