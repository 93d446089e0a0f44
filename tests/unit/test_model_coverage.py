"""The coverage policy: which homes the model refuses to value, with which stable code."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from model.coverage import MAX_NEAREST_SALE_M, Coverage, OutsideCoverage, too_far
from model.market import MarketIndex, month_number
from model.property import Property

FIRST = int(month_number(np.datetime64("2023-01-01", "D")))
COVERAGE = Coverage(
    frozenset({"75", "34"}),
    MarketIndex(
        FIRST,
        FIRST + 23,
        {("75", "apartment"): np.zeros(24), ("34", "house"): np.zeros(24)},
        {("75", "apartment"): np.ones(24), ("34", "house"): np.ones(24)},
    ),
)


def _home(kind: str = "apartment", on: date = date(2025, 1, 1), **extra) -> Property:
    return Property(kind, 60.0, 3, 48.86, 2.36, on, **extra)


@pytest.mark.parametrize(
    ("code", "kind", "on", "expected", "departement"),
    [
        ("67482", "apartment", date(2025, 1, 1), "not_in_dvf", "67"),
        ("97611", "apartment", date(2025, 1, 1), "not_in_dvf", "976"),
        ("33063", "apartment", date(2025, 1, 1), "departement_not_trained", "33"),
        (None, "apartment", date(2025, 1, 1), "departement_not_trained", None),
        ("75103", "house", date(2025, 1, 1), "departement_not_trained", "75"),
        ("75103", "apartment", date(2023, 1, 31), "before_data", "75"),
    ],
)
def test_refusals_name_their_reason_and_departement(code, kind, on, expected, departement):
    problem = COVERAGE.problem(_home(kind, on), code)
    assert isinstance(problem, OutsideCoverage)
    assert (problem.code, problem.departement) == (expected, departement)
    assert str(problem).startswith(f"{expected}: ") and problem.reason


def test_covered_homes_pass():
    assert COVERAGE.problem(_home(), "75103") is None
    assert COVERAGE.problem(_home("house", date(2023, 2, 1)), "34172") is None


def test_too_far_from_any_earlier_sale():
    assert too_far(MAX_NEAREST_SALE_M, "house", "34") is None
    far = too_far(MAX_NEAREST_SALE_M + 1, "house", "34")
    assert (far.code, far.departement) == ("too_far_from_sales", "34")
    assert far.reason == "no earlier house sale within 5 km"
    assert too_far(np.inf, "apartment", "75").code == "too_far_from_sales"
    assert too_far(np.nan, "apartment", "75").code == "too_far_from_sales"
