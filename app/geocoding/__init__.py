"""Addresses to coordinates: the BAN search API, with an offline index when it is unreachable.

Interface used by the site and the API (see docs/ARCHITECTURE.md):
`get_geocoder().geocode(query) -> Location | None` and `.suggest(query, limit) -> [Location]`.

Modules: `location` (the answer), `text` (typed addresses as words), `communes` and
`offline` (the offline index), `ban` (the BAN client), `geocoder` (BAN, else offline),
`extension` (the geocoder of a Flask app).
"""

from app.geocoding.ban import BanClient, parse_ban_feature
from app.geocoding.extension import get_geocoder, preload, reference_dir_for
from app.geocoding.geocoder import Geocoder
from app.geocoding.location import PRECISIONS, Location
from app.geocoding.offline import OfflineIndex
from model.address_text import ParsedQuery, fold, parse_query, street_label, tokens

__all__ = [
    "PRECISIONS",
    "BanClient",
    "Geocoder",
    "Location",
    "OfflineIndex",
    "ParsedQuery",
    "fold",
    "get_geocoder",
    "parse_ban_feature",
    "parse_query",
    "preload",
    "reference_dir_for",
    "street_label",
    "tokens",
]
