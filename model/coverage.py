"""Where the model may give a price: the coverage policy, refusals with stable codes.

Codes: `not_in_dvf` (Alsace-Moselle, Mayotte), `departement_not_trained`, `before_data`
(a valuation date before the market index starts), `too_far_from_sales`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.geography import NOT_IN_DVF, departement_of
from model.market import MarketIndex, month_label, month_number
from model.property import Property

# Beyond this, the nearest earlier sale of the same type is too far to value a home.
MAX_NEAREST_SALE_M = 5_000.0


class OutsideCoverage(Exception):
    """The model cannot value this home; `code` is stable, `reason` explains."""

    def __init__(self, code: str, reason: str, departement: str | None = None):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.departement = departement


@dataclass(frozen=True)
class Coverage:
    """The départements a model was trained on and the markets of its index."""

    departements: frozenset[str]
    market: MarketIndex

    def problem(self, prop: Property, code_commune: str | None) -> OutsideCoverage | None:
        """Why a home in this commune cannot be valued before looking at its neighbours."""
        dep = departement_of(code_commune)
        if dep in NOT_IN_DVF:
            return OutsideCoverage(
                "not_in_dvf", "sales in Alsace-Moselle and Mayotte are not published in DVF", dep
            )
        if dep is None or dep not in self.departements:
            return OutsideCoverage(
                "departement_not_trained",
                f"the model was trained on départements {', '.join(sorted(self.departements))}",
                dep,
            )
        if (dep, prop.property_type) not in self.market.levels:
            return OutsideCoverage(
                "departement_not_trained",
                f"no {prop.property_type} sales in département {dep}",
                dep,
            )
        if month_number(np.datetime64(prop.valuation_date, "D")) - 1 < self.market.first_month:
            return OutsideCoverage(
                "before_data", f"the data starts in {month_label(self.market.first_month)}", dep
            )
        return None


def too_far(nearest_m: float, property_type: str, departement: str) -> OutsideCoverage | None:
    """The refusal when the nearest earlier sale of the type is missing or too far."""
    if np.isfinite(nearest_m) and nearest_m <= MAX_NEAREST_SALE_M:
        return None
    return OutsideCoverage(
        "too_far_from_sales",
        f"no earlier {property_type} sale within {MAX_NEAREST_SALE_M / 1000:.0f} km",
        departement,
    )
