"""French administrative geography that every room relies on: the département of a commune,
the commune that commune-level statistics use, and the départements DVF does not cover.

One definition of each rule, for one code (serving) and for a column (training).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# Départements DVF does not cover, and why (DOMAIN.md, "Gaps").
NOT_IN_DVF: dict[str, str] = {
    "57": "Moselle keeps the Alsace-Moselle land register (Livre foncier), outside DVF",
    "67": "Bas-Rhin keeps the Alsace-Moselle land register (Livre foncier), outside DVF",
    "68": "Haut-Rhin keeps the Alsace-Moselle land register (Livre foncier), outside DVF",
    "976": "Mayotte is not covered by DVF",
}
ALSACE_MOSELLE = frozenset({"57", "67", "68"})
MAYOTTE = "976"

# Paris, Lyon and Marseille: arrondissement codes (first, last) → the whole commune, which
# commune-level statistics (SSMSI, INSEE) are published for.
ARRONDISSEMENTS = (
    ("75101", "75120", "75056"),
    ("69381", "69389", "69123"),
    ("13201", "13216", "13055"),
)


def departement_of(code_commune: str | None) -> str | None:
    """The département of an INSEE commune code (three characters overseas)."""
    if code_commune is None or code_commune != code_commune:  # None or NaN
        return None
    code = str(code_commune).strip()
    if not code:
        return None
    return code[:3] if code.startswith("97") else code[:2]


def departements_of(codes: Iterable[str]) -> pd.Series:
    """`departement_of` for a column of commune codes."""
    import pandas as pd  # here, not at the top: `immoval fetch` reads this module, light

    codes = pd.Series(codes, dtype="string")
    return codes.str[:2].mask(codes.str.startswith("97"), codes.str[:3])


def statistics_commune(code_commune: str | None) -> str:
    """The commune code used by commune-level statistics ("" when unknown)."""
    if not isinstance(code_commune, str):
        return "" if code_commune is None or code_commune != code_commune else str(code_commune)
    code = code_commune.strip()
    if len(code) == 5:
        for first, last, city in ARRONDISSEMENTS:
            if first <= code <= last:
                return city
    return code


def statistics_communes(codes: pd.Series | Iterable[str]) -> pd.Series:
    """`statistics_commune` for a column; a Series keeps its index and dtype."""
    import pandas as pd

    if not isinstance(codes, pd.Series):
        return pd.Series([statistics_commune(c) for c in codes], dtype="str")
    text = codes.astype("string")
    out = codes
    for first, last, city in ARRONDISSEMENTS:
        # Comparisons on strings: far faster on a large column than a Python loop.
        inside = ((text >= first) & (text <= last) & (text.str.len() == 5)).fillna(False)
        out = out.mask(inside.astype(bool), city)
    return out
