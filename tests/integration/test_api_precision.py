"""Ranges and confidence follow how precisely the geocoder placed the home (real small
Paris model, the offline index of the real BAN Paris file, the real Flask app)."""

from __future__ import annotations

import json

from model import registry
from model.ranges import PRECISION_RANGES_FILE
from model.settings import layout
from tests.integration.api_helpers import bearer

HOME = {"property_type": "apartment", "living_area_m2": 52.5, "rooms": 3}
LEVELS = {"low": 0, "medium": 1, "high": 2}


def estimate(client, key, address):
    response = client.post(
        "/api/v1/estimates", headers=bearer(key), json={**HOME, "address": address}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    value = body["estimate"]
    return body["location"]["precision"], (value["high"] - value["low"]) / value["value"], value


def test_a_home_found_at_its_commune_gets_a_wider_range_and_a_lower_confidence(client, key):
    exact, exact_width, at_number = estimate(client, key, "12 rue de Rivoli 75004 Paris")
    commune, commune_width, at_commune = estimate(client, key, "75004 Paris")
    assert (exact, commune) == ("housenumber", "municipality")
    assert commune_width > 1.2 * exact_width
    assert LEVELS[at_commune["confidence"]] < LEVELS[at_number["confidence"]]
    assert at_commune["confidence"] == "low"


def test_the_bundle_ships_the_precision_ranges_under_its_checksums(model_home):
    paths = layout(model_home)
    bundle = paths.models / registry.read_champion(paths.models)
    tables = json.loads((bundle / PRECISION_RANGES_FILE).read_text())
    assert set(tables) == {"interpolated", "street", "municipality"}
    meta = json.loads((bundle / "metadata.json").read_text())
    assert PRECISION_RANGES_FILE in meta["checksums"]
    # Fitted on more, and wider, errors than the main table at the commune's centre.
    main = meta["ranges"]["type"]["apartment"]
    commune = tables["municipality"]["type"]["apartment"]
    assert commune[1] - commune[0] > main[1] - main[0]
