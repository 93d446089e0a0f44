"""Station lists → station points with their opening day (SNCF Réseau, IDFM)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from model.surroundings.stations import ALWAYS
from training.surroundings.openings import opening_of

SNCF_COLUMNS = ["CODE_UIC", "VOYAGEURS", "X_WGS84", "Y_WGS84"]
# IDFM modes of the urban network; TRAIN (Transilien) stations are in the SNCF list.
URBAN_MODES = ("METRO", "RER", "TRAM", "TRAMWAY", "VAL")
POINT_COLUMNS = ["latitude", "longitude", "opened_day"]


def read_sncf(path: Path) -> tuple[pd.DataFrame, dict]:
    """Passenger stations (`VOYAGEURS` = O), one per `CODE_UIC` (one row per station × line)."""
    table = pd.read_csv(
        path, sep=";", encoding="utf-8-sig", usecols=SNCF_COLUMNS, dtype={"CODE_UIC": str}
    )
    passengers = table.loc[table["VOYAGEURS"].astype(str).str.strip().str.upper() == "O"]
    lon = pd.to_numeric(passengers["X_WGS84"], errors="coerce")
    lat = pd.to_numeric(passengers["Y_WGS84"], errors="coerce")
    located = passengers.assign(latitude=lat, longitude=lon).dropna(subset=["latitude"])
    located = located.loc[located["longitude"].notna()].drop_duplicates("CODE_UIC")
    report = {
        "rows": len(table),
        "passenger_rows": len(passengers),
        "stations": len(located),
        "without_coordinates": int(passengers["CODE_UIC"].nunique() - len(located)),
    }
    # SNCF publishes no opening dates: every station counts as open all along.
    return located.assign(opened_day=ALWAYS).loc[:, POINT_COLUMNS], report


def read_idfm(path: Path) -> tuple[pd.DataFrame, dict]:
    """Metro, RER, tram and VAL stations × lines, each with its known opening day."""
    table = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str)
    urban = table.loc[table["mode"].str.strip().str.upper().isin(URBAN_MODES)]
    point = urban["geo_point_2d"].str.split(",", n=1, expand=True)
    lat = pd.to_numeric(point[0], errors="coerce")
    lon = pd.to_numeric(point[1], errors="coerce")
    frame = urban.assign(latitude=lat, longitude=lon).dropna(subset=["latitude", "longitude"])
    opened = [
        opening_of(line.strip(), name.strip())
        for line, name in zip(frame["res_com"], frame["nom_gares"], strict=True)
    ]
    frame = frame.assign(opened_day=[day_of(d) for d in opened])
    report = {
        "rows": len(table),
        "urban_rows": len(urban),
        "stations_lines": len(frame),
        "with_known_opening": int(sum(d is not None for d in opened)),
    }
    return frame.loc[:, POINT_COLUMNS].reset_index(drop=True), report


def day_of(value) -> int:
    """Day since 1970 of a date, `ALWAYS` for None."""
    if value is None:
        return int(ALWAYS)
    return int(np.datetime64(value, "D").astype("int64"))
