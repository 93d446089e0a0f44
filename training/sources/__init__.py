"""The catalogue of data sources: where each file is published, where it sits in a mirror,
where it lands under `raw/`, how to recognise a good copy, and under which licence.

Pure data and pure functions: `immoval fetch` turns the catalogue into downloads.
A mirror (`../shared/data`, or an http server laid out the same way) holds files at the
path they get under `raw/`; the official publishers hold them at `official_url`.
"""

from model.geography import NOT_IN_DVF
from training.sources.base import (
    BAN_COLUMNS,
    BAN_URL,
    DEPARTEMENTS,
    DVF_COLUMNS,
    DVF_FIRST_YEAR,
    DVF_LISTING,
    DVF_LISTING_URL,
    DVF_URL,
    DVF_WINDOW_YEARS,
    FRANCE_GEOJSON,
    GEO_API_COMMUNES_FIELDS,
    GEO_API_COMMUNES_KEYS,
    GEO_API_COMMUNES_URL,
    GROUPS,
    LAPOSTE_URL,
    LICENCE_OUVERTE,
    ODBL,
    OVERPASS_URL,
    PARIS_DECREE_COLUMNS,
    SSMSI_COMMUNES_URL,
    SSMSI_DATASET_API,
    Check,
    Item,
)
from training.sources.cameras import camera_items, overpass_query
from training.sources.catalogue import (
    catalogue,
    fallback_dvf_years,
    parse_departements,
    parse_groups,
    parse_years,
)
from training.sources.crime import ssmsi_items
from training.sources.places import IRIS_FILES, ban_items, commune_items, iris_items
from training.sources.sales import dvf_items

__all__ = [
    "NOT_IN_DVF",
    "BAN_COLUMNS",
    "BAN_URL",
    "Check",
    "DEPARTEMENTS",
    "DVF_COLUMNS",
    "DVF_FIRST_YEAR",
    "DVF_LISTING",
    "DVF_LISTING_URL",
    "DVF_URL",
    "DVF_WINDOW_YEARS",
    "FRANCE_GEOJSON",
    "GEO_API_COMMUNES_FIELDS",
    "GEO_API_COMMUNES_KEYS",
    "GEO_API_COMMUNES_URL",
    "GROUPS",
    "IRIS_FILES",
    "Item",
    "LAPOSTE_URL",
    "LICENCE_OUVERTE",
    "ODBL",
    "OVERPASS_URL",
    "PARIS_DECREE_COLUMNS",
    "SSMSI_COMMUNES_URL",
    "SSMSI_DATASET_API",
    "ban_items",
    "camera_items",
    "catalogue",
    "commune_items",
    "dvf_items",
    "fallback_dvf_years",
    "iris_items",
    "overpass_query",
    "parse_departements",
    "parse_groups",
    "parse_years",
    "ssmsi_items",
]
