"""Single estimates queued together are valued in one call, and each gets what it gets
alone: real Paris homes and the small real model, threads released at once."""

from __future__ import annotations

import threading
import time
from datetime import date

import numpy as np
import pytest

from app.coalescing import CoalescedFailure, Coalescer
from model.estimator import Estimator, OutsideCoverage
from model.property import Property
from model.registry import read_champion
from model.settings import layout


@pytest.fixture(scope="module")
def estimator(model_home):
    models = layout(model_home).models
    return Estimator.load(models / read_champion(models))


def _homes(estimator: Estimator, n: int) -> list[Property]:
    """Flats and houses at real sale places, a little away from them, and one far off."""
    s = estimator.sales
    rng = np.random.default_rng(11)
    rows = rng.choice(len(s.property_type), n - 1, replace=False)
    homes = [
        Property.from_mapping(
            {
                "property_type": s.property_type[r],
                "living_area_m2": float(s.living_area_m2[r]),
                "rooms": 3,
                "land_area_m2": float(s.land_area_m2[r]) if s.property_type[r] == "house" else 0,
                "latitude": float(s.latitude[r] + rng.normal(0, 2e-4)),
                "longitude": float(s.longitude[r] + rng.normal(0, 2e-4)),
            },
            today=date(2026, 1, 1),
        )
        for r in rows
    ]
    # Bordeaux: no sale of the bundle anywhere near, the model refuses it.
    far = {"property_type": "apartment", "living_area_m2": 50, "rooms": 2}
    homes.insert(n // 2, Property.from_mapping({**far, "latitude": 44.84, "longitude": -0.58}))
    return homes


def _alone(estimator, prop, **options):
    try:
        return estimator.estimate(prop, **options)
    except OutsideCoverage as exc:
        return exc


def _queued_at_once(coalescer: Coalescer, calls) -> list:
    """Tickets of `calls` (estimator, prop, options), queued while the slot is held, then
    released together; in the order given."""
    tickets: list = [None] * len(calls)

    def run(k, estimator, prop, options):
        try:
            tickets[k] = coalescer.value(estimator, prop, **options)
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            tickets[k] = exc

    threads = [threading.Thread(target=run, args=(k, *call)) for k, call in enumerate(calls)]
    with coalescer._slot:  # nobody values until every home is queued
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(coalescer._queue) < len(calls):
            assert time.monotonic() < deadline, "requests never queued"
            time.sleep(0.005)
    for thread in threads:
        thread.join(60)
    return tickets


def test_homes_valued_together_get_what_each_gets_alone(estimator):
    homes = _homes(estimator, 12)
    options = {"explain": True, "comparables": 10}
    tickets = _queued_at_once(Coalescer(), [(estimator, p, options) for p in homes])
    assert all(t.valued_with == len(homes) for t in tickets)  # one call for all
    for prop, ticket in zip(homes, tickets, strict=True):
        alone = _alone(estimator, prop, **options)
        if isinstance(alone, OutsideCoverage):
            assert isinstance(ticket.result, OutsideCoverage)
            assert ticket.result.code == alone.code
        else:
            assert ticket.result.__dict__ == alone.__dict__  # contributions, summary included
    assert sum(isinstance(t.result, OutsideCoverage) for t in tickets) == 1


def test_a_call_never_values_more_than_its_cap_and_every_home_is_answered(estimator):
    homes = _homes(estimator, 11)
    options = {"explain": False, "comparables": 0}
    tickets = _queued_at_once(Coalescer(max_homes=4), [(estimator, p, options) for p in homes])
    assert sorted({t.valued_with for t in tickets}) == [3, 4]  # 4 + 4 + 3
    for prop, ticket in zip(homes, tickets, strict=True):
        alone = _alone(estimator, prop, **options)
        assert type(ticket.result) is type(alone)
        if not isinstance(alone, OutsideCoverage):
            assert ticket.result.value == alone.value and ticket.result.contributions == []


def test_explained_and_unexplained_homes_are_valued_in_separate_calls(estimator):
    homes = [h for h in _homes(estimator, 7) if h.latitude > 45]  # those it can value
    calls = [
        (estimator, p, {"explain": k % 2 == 0, "comparables": 10}) for k, p in enumerate(homes)
    ]
    tickets = _queued_at_once(Coalescer(), calls)
    for (_, prop, options), ticket in zip(calls, tickets, strict=True):
        assert ticket.valued_with == sum(c[2]["explain"] == options["explain"] for c in calls)
        alone = estimator.estimate(prop, **options)
        assert ticket.result.__dict__ == alone.__dict__
        assert bool(ticket.result.contributions) == options["explain"]


class _Versioned:
    """An estimator's stand-in that answers its own version for every home, and fails any
    call holding a home of `faulty` (as a home that breaks the features would)."""

    def __init__(self, version, faulty=(), stop=()):
        self.version, self.faulty, self.stop, self.calls = version, faulty, stop, []

    def estimate_each(self, props, *, explain, comparables):
        self.calls.append(len(props))
        if any(p in self.stop for p in props):
            raise KeyboardInterrupt
        if any(p in self.faulty for p in props):
            raise ValueError(f"{self.version} cannot value this home")
        return [self.version] * len(props)


def test_homes_of_two_models_are_valued_each_by_its_own():
    old, new = _Versioned("old"), _Versioned("new")
    calls = [(m, object(), {"explain": True, "comparables": 10}) for m in (old, new, old, new, old)]
    tickets = _queued_at_once(Coalescer(), calls)
    assert [t.result for t in tickets] == ["old", "new", "old", "new", "old"]
    assert (old.calls, new.calls) == ([3], [2])


def test_one_faulty_home_fails_its_own_request_only_and_frees_the_slot():
    homes = [object() for _ in range(5)]
    model = _Versioned("sound", faulty={homes[2]})
    options = {"explain": True, "comparables": 10}
    coalescer = Coalescer()
    outcomes = _queued_at_once(coalescer, [(model, home, options) for home in homes])
    assert isinstance(outcomes[2], ValueError)  # in its own thread, whoever valued it
    assert [o.result for k, o in enumerate(outcomes) if k != 2] == ["sound"] * 4
    assert model.calls == [5, 1, 1, 1, 1, 1]  # together, then each alone
    assert coalescer.value(model, object(), **options).result == "sound"  # the slot is free


def test_a_stop_in_the_valuing_thread_leaves_no_request_waiting():
    homes = [object() for _ in range(4)]
    model = _Versioned("sound", stop={homes[0]})
    outcomes = _queued_at_once(
        Coalescer(), [(model, home, {"explain": True, "comparables": 10}) for home in homes]
    )
    # The thread that valued them stops; every other one got an answer of failure.
    stopped = [o for o in outcomes if isinstance(o, KeyboardInterrupt)]
    told = [o for o in outcomes if isinstance(o, CoalescedFailure)]
    assert len(stopped) == 1 and len(told) == 3
    assert all(isinstance(o.__cause__, KeyboardInterrupt) for o in told)


def test_a_request_that_finds_the_slot_free_is_valued_at_once_alone(estimator):
    prop = _homes(estimator, 3)[0]
    ticket = Coalescer().value(estimator, prop, explain=True, comparables=10)
    assert ticket.valued_with == 1
    assert ticket.result.__dict__ == estimator.estimate(prop).__dict__
