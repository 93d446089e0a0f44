"""Read the communes of the administration's geo API (geo.api.gouv.fr) like the COG CSV.

`immoval fetch` stores the API's answer at `raw/communes/communes-geo-api.json` when it
fetches from the official publishers: a JSON list with one record per commune and per
arrondissement of Paris, Lyon and Marseille, e.g.

    {"nom": "Montpellier", "code": "34172", "codesPostaux": ["34000", "34070"],
     "centre": {"type": "Point", "coordinates": [3.8742, 43.6142]}, "surface": 5688.23,
     "population": 302454, "codeDepartement": "34", "codeRegion": "76"}

A key is absent when the API does not know the value (no contour: no `centre` nor
`surface`); such values stay unknown here, never zero.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from model.geography import statistics_communes

GEO_API_FILE = Path("communes") / "communes-geo-api.json"

# The columns of the mirror's COG CSV (`training.communes.read_communes_csv`), in its order.
CSV_COLUMNS = (
    "insee_com", "insee_reg", "insee_dep", "commune", "commune_article", "code_postal",
    "commune_type", "insee_parente", "lat", "lng", "superficie_km2", "population_2021",
    "population_2015", "menages_2021", "naissances_2022", "deces_2022",
    "pop_15_64_totale_2021", "pop_15_64_chomage_2021", "pop_15_64_active_2021",
)  # fmt: skip
_TEXT = ("insee_com", "insee_reg", "insee_dep", "commune", "commune_article", "code_postal",
         "commune_type", "insee_parente")  # fmt: skip
_REAL = ("lat", "lng", "superficie_km2")
HECTARES_PER_KM2 = 100.0


class GeoApiError(ValueError):
    """The file is not a geo API answer this reader understands; names the record and why."""


def read_communes_geo_api(path: Path) -> pd.DataFrame:
    """The geo API's communes with the mirror CSV's columns, one row per (commune, postcode)."""
    try:
        records = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as error:
        raise GeoApiError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(records, list):
        raise GeoApiError(f"{path}: expected a JSON list of communes, got {type(records).__name__}")
    rows, problems, seen = [], [], {}
    for index, record in enumerate(records):
        try:
            rows.extend(commune_rows(record))
        except GeoApiError as error:
            problems.append(f"record {index}: {error}")
            continue
        # Two records of one commune: which one is right cannot be told here.
        first = seen.setdefault(record["code"], index)
        if first != index:
            problems.append(f"record {index}: code {record['code']} already in record {first}")
    if problems:
        # Refuse the whole file: a silently shorter communes table would lose communes.
        more = f"; … {len(problems) - 5} more" if len(problems) > 5 else ""
        shown = "; ".join(problems[:5]) + more
        raise GeoApiError(f"{path}: {len(problems)} malformed record(s): {shown}")
    return communes_frame(rows)


def commune_rows(record: object) -> list[dict]:
    """The CSV rows of one API record: one per postcode (one without postcode if it has none)."""
    if not isinstance(record, dict):
        raise GeoApiError(f"not an object: {record!r:.80}")
    code, name, dep = record.get("code"), record.get("nom"), record.get("codeDepartement")
    for key, value in (("code", code), ("nom", name), ("codeDepartement", dep)):
        if not isinstance(value, str) or not value.strip():
            raise GeoApiError(f"{key} missing or not a text: {value!r}")
    longitude, latitude = _centre(record.get("centre"))
    surface = _number(record, "surface")
    population = _number(record, "population")
    if population is not None and population != int(population):
        raise GeoApiError(f"population is not a whole number: {population!r}")
    postcodes = record.get("codesPostaux") or [None]
    if not isinstance(postcodes, list) or not all(
        p is None or isinstance(p, str) for p in postcodes
    ):
        raise GeoApiError(f"codesPostaux is not a list of texts: {postcodes!r}")
    base = {
        "insee_com": code,
        "insee_reg": record.get("codeRegion"),
        "insee_dep": dep,
        "commune": name,
        "lat": latitude,
        "lng": longitude,
        "superficie_km2": None if surface is None else surface / HECTARES_PER_KM2,
        "population_2021": None if population is None else int(population),
    }
    return [{**base, "code_postal": postcode} for postcode in sorted(set(postcodes), key=str)]


def communes_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows as a DataFrame with the CSV's columns and dtypes; values the API lacks are NA."""
    frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
    dtypes = {
        column: "str" if column in _TEXT else "float64" if column in _REAL else "Int64"
        for column in CSV_COLUMNS
    }
    frame = frame.astype(dtypes)
    # The API lists the arrondissements of Paris, Lyon and Marseille under their own codes.
    city = statistics_communes(frame["insee_com"])
    is_arrondissement = city != frame["insee_com"]
    frame["commune_type"] = is_arrondissement.map({True: "ARM", False: "COM"}).astype("str")
    frame["insee_parente"] = city.where(is_arrondissement)
    return frame


def _centre(centre: object) -> tuple[float | None, float | None]:
    if centre is None:
        return None, None
    coordinates = centre.get("coordinates") if isinstance(centre, dict) else None
    if (
        not isinstance(coordinates, list)
        or len(coordinates) != 2
        or not all(_is_number(c) for c in coordinates)
    ):
        raise GeoApiError(f"centre is not a GeoJSON point: {centre!r:.80}")
    longitude, latitude = (float(c) for c in coordinates)
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        raise GeoApiError(f"centre outside WGS84 bounds: {coordinates!r}")
    return longitude, latitude


def _number(record: dict, key: str) -> float | None:
    value = record.get(key)
    if value is None:
        return None
    if not _is_number(value) or value < 0:
        raise GeoApiError(f"{key} is not a non-negative number: {value!r}")
    return float(value)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
