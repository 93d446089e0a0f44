"""The report's pure parts: drift (PSI) and the outcome of a logged API request."""

from __future__ import annotations

import numpy as np
import pytest

from training.report import outcome
from training.report_figures import psi


def test_psi_is_zero_for_the_same_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    base = rng.normal(size=20_000)
    assert psi(base, rng.normal(size=20_000)) < 0.01
    small, large = psi(base, rng.normal(0.3, size=20_000)), psi(base, rng.normal(1, size=20_000))
    assert 0.05 < small < 0.25 < large


def test_psi_counts_missing_values_as_their_own_bin():
    values = np.arange(1000.0)
    with_missing = values.copy()
    with_missing[:300] = np.nan
    assert psi(values, values) == pytest.approx(0)
    assert psi(values, with_missing) > 0.25


def test_psi_of_a_constant_feature_is_zero():
    assert psi(np.zeros(100), np.zeros(50)) == pytest.approx(0)


@pytest.mark.parametrize(
    ("status", "said"),
    [(200, "répondu"), (422, "refus : hors couverture"), (429, "limite atteinte"),
     (503, "erreur serveur"), (400, "requête invalide"), (404, "autre 404")],
)  # fmt: skip
def test_each_status_has_its_outcome(status, said):
    assert outcome(status) == said


def test_refusals_add_up_by_reason_and_low_confidence_is_a_share_of_the_answered():
    import pandas as pd

    from training.report import parse_refusals, refusals_and_confidence

    assert parse_refusals("invalid=1;outside_coverage=2") == {"invalid": 1, "outside_coverage": 2}
    assert parse_refusals(None) == {} and parse_refusals("garbage;=3;x=") == {}
    rows = pd.DataFrame(
        {
            "refusals": [None, "outside_coverage=1", "invalid=1;outside_coverage=2", None],
            "estimates": [1, None, 2, 4],
            "low_confidence": [1, None, 0, 1],
        }
    )
    reasons, confidence = refusals_and_confidence(rows)
    assert reasons.values.tolist() == [["outside_coverage", 3], ["invalid", 1]]
    assert confidence == {"estimates": 7, "low_confidence": 2, "share": 2 / 7}


def test_a_log_without_the_outcome_columns_says_it_cannot_tell():
    import pandas as pd

    from training.report import refusals_and_confidence

    rows = pd.DataFrame({"refusals": [None, None], "estimates": [None, None],
                         "low_confidence": [None, None]})  # fmt: skip
    reasons, confidence = refusals_and_confidence(rows)
    assert reasons.empty and confidence is None
