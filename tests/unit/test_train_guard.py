"""The promotion guard's verdicts (`training.guard`) on versions' metadata."""

from __future__ import annotations

import pytest

from model.registry import PromotionRefused
from training import guard


def _evaluation(mdape, pe10=0.4, coverage=0.8, cells=()):
    return {
        "overall": {"mdape": mdape, "pe10": pe10, "coverage": coverage, "sales": 1000},
        "by_departement_type": [
            {"departement": dep, "property_type": kind, "mdape": m, "sales": n}
            for dep, kind, m, n in cells
        ],
    }


def _versions(champion_eval, challenger_eval, against="v1", period=("2024-01-01", "2024-12-31")):
    champion = {"version": "v1", "evaluation": {"test_period": ["2023-01-01", "2023-12-31"]}}
    challenger = {
        "version": "v2",
        "evaluation": {"test_period": list(period)},
        "champion_comparison": {
            "champion": against,
            "sales": 1000,
            "period": list(period),
            "results": {"champion": champion_eval, "challenger": challenger_eval},
        },
    }
    return challenger, champion


def test_a_challenger_as_good_as_the_champion_on_the_same_sales_passes():
    decision = guard.decide(*_versions(_evaluation(0.12), _evaluation(0.124)))
    assert decision.passed and decision.basis == "champion as deployed"
    assert [row["metric"] for row in decision.rows] == ["MdAPE", "PE10", "coverage"]
    assert "decision: promote" in decision.explain()


@pytest.mark.parametrize(
    ("challenger", "reason"),
    [
        (_evaluation(0.1251), "MdAPE 12.51 %"),
        (_evaluation(0.12, pe10=0.389), "PE10 38.90 %"),
        (_evaluation(0.12, coverage=0.7), "coverage 70.00 %"),
    ],
)
def test_each_overall_rule_refuses_and_says_so(challenger, reason):
    decision = guard.decide(*_versions(_evaluation(0.12), challenger))
    assert not decision.passed and len(decision.reasons) == 1
    assert decision.reasons[0].startswith(reason)
    assert "FAILED" in decision.explain()
    with pytest.raises(PromotionRefused, match=reason) as raised:
        guard.check(*_versions(_evaluation(0.12), challenger))
    assert raised.value.decision.reasons == decision.reasons


def test_cells_that_got_worse_are_named_and_large_ones_refuse():
    champion = _evaluation(0.12, cells=[("28", "house", 0.15, 400), ("75", "house", 0.10, 50)])
    challenger = _evaluation(0.12, cells=[("28", "house", 0.18, 390), ("75", "house", 0.20, 60)])
    decision = guard.decide(*_versions(champion, challenger))
    worse = {(c["departement"], c["worse"], c["refuses"]) for c in decision.cells}
    # 75 is 10 points worse but on 50 sales only: said, not refused on.
    assert worse == {("28", True, True), ("75", True, False)}
    assert decision.reasons == [
        "MdAPE of 28 houses 15.00 % → 18.00 % (more than 2 pt worse on 390 sales)"
    ]


def test_a_comparison_with_another_champion_is_not_a_basis():
    challenger, champion = _versions(_evaluation(0.2), _evaluation(0.1), against="v0")
    decision = guard.decide(challenger, champion)
    assert not decision.passed
    assert "compared with v0, not with the current champion" in decision.reasons[0]
    assert "--force" in decision.reasons[0]


def test_same_test_period_falls_back_to_each_versions_own_evaluation():
    period = {"test_period": ["2024-01-01", "2024-12-31"]}
    champion = {"version": "v1", "evaluation": {**period, "results": {"model": _evaluation(0.12)}}}
    better = {"version": "v2", "evaluation": {**period, "results": {"model": _evaluation(0.11)}}}
    worse = {"version": "v3", "evaluation": {**period, "results": {"model": _evaluation(0.13)}}}
    assert guard.decide(better, champion).basis == "same test period"
    assert guard.decide(better, champion).passed
    assert not guard.decide(worse, champion).passed


def test_a_champion_that_could_not_be_scored_refuses_and_no_champion_passes():
    challenger, champion = _versions(_evaluation(0.1), _evaluation(0.1))
    challenger["champion_comparison"] = {"champion": "v1", "error": "BundleError: cut"}
    decision = guard.decide(challenger, champion)
    assert not decision.passed and "BundleError: cut" in decision.reasons[0]
    assert guard.decide(challenger, None).passed
