"""The BAN search API (api-adresse.data.gouv.fr): a short timeout, then a rest after a failure.

Addresses are never logged: only that the API failed, and how.
"""

from __future__ import annotations

import logging
import time

import requests

from app.geocoding.location import Location

log = logging.getLogger(__name__)

BAN_TYPES = {
    "housenumber": "housenumber",
    "street": "street",
    "locality": "street",
    "municipality": "municipality",
}
# Below this BAN score the answer is usually another place with a similar name.
BAN_MIN_SCORE = 0.5
# After a failure, leave the API alone for a while instead of paying the timeout each time.
BAN_RETRY_AFTER_SECONDS = 60.0
# Longer queries are cut: the API refuses them, and no address is that long.
MAX_QUERY_CHARS = 200


def parse_ban_feature(feature: dict) -> Location | None:
    """A Location from one GeoJSON feature of the BAN search API, None if unusable."""
    try:
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"][:2]
        precision = BAN_TYPES.get(props.get("type"))
        if precision is None or float(props.get("score", 0)) < BAN_MIN_SCORE:
            return None
        return Location(
            latitude=float(lat),
            longitude=float(lon),
            precision=precision,
            source="ban-api",
            label=props.get("label"),
            code_commune=props.get("citycode"),
            postcode=props.get("postcode"),
        )
    except (KeyError, TypeError, ValueError, IndexError):
        return None


class BanClient:
    """The search endpoint at `url` (None: not configured), asked with `timeout` seconds."""

    def __init__(self, url: str | None, timeout: float):
        self.url = url or None
        self.timeout = timeout
        self.down_until = 0.0  # time.monotonic() before which the API is left alone
        self._session = requests.Session()

    def search(self, query: str, limit: int, autocomplete: bool) -> list[Location] | None:
        """BAN answers, or None when the API is not configured, resting or failed."""
        if not self.url or time.monotonic() < self.down_until:
            return None
        params = {"q": query[:MAX_QUERY_CHARS], "limit": limit, "autocomplete": int(autocomplete)}
        try:
            response = self._session.get(self.url, params=params, timeout=self.timeout)
            response.raise_for_status()
            features = response.json()["features"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            self.down_until = time.monotonic() + BAN_RETRY_AFTER_SECONDS
            log.warning("BAN API unavailable (%s): offline index used", type(exc).__name__)
            return None
        return [loc for loc in map(parse_ban_feature, features) if loc is not None]
