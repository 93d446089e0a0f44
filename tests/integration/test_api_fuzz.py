"""Schemathesis against the served spec: every endpoint, >= 1000 generated cases, no 5xx.

Cases are generated from /api/v1/openapi.json, valid ones (positive) and invalid ones
(negative), and sent to the real app serving the real small model. Every answer
must be documented (status, content type, headers, body schema); invalid data must be
refused with a 4xx. Seeded, so a failure reproduces.
"""

from __future__ import annotations

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.api_helpers import bearer, create_key

# Cases per operation and mode; operations without inputs (health, the spec) run once.
# IMMOVAL_FUZZ_EXAMPLES and IMMOVAL_FUZZ_SEED run a deeper or different search by hand.
EXAMPLES = int(os.environ.get("IMMOVAL_FUZZ_EXAMPLES", 140))
SEED = int(os.environ.get("IMMOVAL_FUZZ_SEED", 20261126))
MINIMUM_CASES = 1000

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]


@pytest.fixture(scope="module")
def fuzz_target(model_home, tmp_path_factory):
    """The real app on the real model, its own database, and a key without a tight limit."""
    from app import create_app

    db_home = tmp_path_factory.mktemp("fuzz-db")
    key = create_key(db_home, "Fuzzer", rate_limit=1_000_000)
    app = create_app(
        {
            "HOME": str(model_home),
            "TESTING": True,
            "GEOCODER_URL": "",
            "DATABASE_URL": f"sqlite:///{db_home.resolve()}/immoval.sqlite3",
        }
    )
    return app, key


@pytest.mark.slow
def test_no_generated_request_gets_a_server_error(fuzz_target):
    app, key = fuzz_target
    config = schemathesis.Config.from_dict({"generation": {"mode": "all"}})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Schemathesis leaves out the operation serving the spec itself (it just fetched it).
    assert {op.label for op in operations} == {
        "POST /estimates",
        "POST /estimates/batch",
        "GET /comparables",
        "GET /neighbourhood",
        "GET /model",
        "GET /health",
    }

    counts: dict[str, int] = {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            started = time.perf_counter()
            counts[f"{operation.label} {mode.value}"] = _fuzz(operation, mode, key)
            print(f"{operation.label} {mode.value}: {time.perf_counter() - started:.1f} s")

    total = sum(counts.values())
    print(f"schemathesis: {total} cases", counts)
    assert total >= MINIMUM_CASES, counts


def _fuzz(operation, mode: GenerationMode, key: str) -> int:
    """Send generated cases to one operation; how many were sent."""
    sent = 0

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        nonlocal sent
        case.call_and_validate(headers=bearer(key), checks=CHECKS)
        sent += 1

    try:
        run()
    except Unsatisfiable:
        # No input to make invalid (GET /model, /health): nothing negative to send.
        assert mode == GenerationMode.NEGATIVE and sent == 0
    return sent


@pytest.mark.slow
def test_valid_homes_near_covered_places_get_an_estimate_or_a_reason(fuzz_target):
    """Random valid homes within ~10 km of covered cities: 200 (or 422 at sea, abroad...)."""
    from hypothesis import strategies as st

    from app.model_store import get_estimator
    from tests.integration.api_helpers import PLACES, assert_documented

    app, key = fuzz_target
    client = app.test_client()
    with app.app_context():
        covered = get_estimator().departements
    places = sorted(place for dep, place in PLACES.items() if dep in covered)
    statuses = []

    homes = st.fixed_dictionaries(
        {
            "property_type": st.sampled_from(["apartment", "house"]),
            "living_area_m2": st.floats(9, 1000),
            "rooms": st.integers(1, 30),
            "place": st.sampled_from(places),
            "dlat": st.floats(-0.1, 0.1),
            "dlon": st.floats(-0.1, 0.1),
        },
        optional={
            "land_area_m2": st.floats(0, 100_000) | st.none(),
            "outbuildings": st.integers(0, 20),
        },
    )

    @seed(7)
    @settings(
        max_examples=120,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(home=homes)
    def run(home):
        (lat, lon), dlat, dlon = home.pop("place"), home.pop("dlat"), home.pop("dlon")
        body = {**home, "latitude": lat + dlat, "longitude": lon + dlon}
        response = client.post("/api/v1/estimates", json=body, headers=bearer(key))
        assert_documented(response, "/estimates", "post")
        assert response.status_code in (200, 422), response.get_json()
        statuses.append(response.status_code)

    run()
    print("statuses:", {s: statuses.count(s) for s in sorted(set(statuses))})
    assert statuses.count(200) >= len(statuses) // 2, statuses  # mostly real estimates
