"""French administrative geography that every room relies on: the département of a commune,
the commune that commune-level statistics use, and the départements DVF does not cover.

One definition of each rule, for one code (serving) and for a column (training).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# INSEE's official names (COG), metropolitan France then overseas.
DEPARTEMENT_NAMES: dict[str, str] = {
    "01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes", "06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes",
    "09": "Ariège", "10": "Aube", "11": "Aude", "12": "Aveyron", "13": "Bouches-du-Rhône",
    "14": "Calvados", "15": "Cantal", "16": "Charente", "17": "Charente-Maritime", "18": "Cher",
    "19": "Corrèze", "21": "Côte-d'Or", "22": "Côtes-d'Armor", "23": "Creuse", "24": "Dordogne",
    "25": "Doubs", "26": "Drôme", "27": "Eure", "28": "Eure-et-Loir", "29": "Finistère",
    "2A": "Corse-du-Sud", "2B": "Haute-Corse", "30": "Gard", "31": "Haute-Garonne",
    "32": "Gers", "33": "Gironde", "34": "Hérault", "35": "Ille-et-Vilaine", "36": "Indre",
    "37": "Indre-et-Loire", "38": "Isère", "39": "Jura", "40": "Landes", "41": "Loir-et-Cher",
    "42": "Loire", "43": "Haute-Loire", "44": "Loire-Atlantique", "45": "Loiret", "46": "Lot",
    "47": "Lot-et-Garonne", "48": "Lozère", "49": "Maine-et-Loire", "50": "Manche",
    "51": "Marne", "52": "Haute-Marne", "53": "Mayenne", "54": "Meurthe-et-Moselle",
    "55": "Meuse", "56": "Morbihan", "57": "Moselle", "58": "Nièvre", "59": "Nord",
    "60": "Oise", "61": "Orne", "62": "Pas-de-Calais", "63": "Puy-de-Dôme",
    "64": "Pyrénées-Atlantiques", "65": "Hautes-Pyrénées", "66": "Pyrénées-Orientales",
    "67": "Bas-Rhin", "68": "Haut-Rhin", "69": "Rhône", "70": "Haute-Saône",
    "71": "Saône-et-Loire", "72": "Sarthe", "73": "Savoie", "74": "Haute-Savoie", "75": "Paris",
    "76": "Seine-Maritime", "77": "Seine-et-Marne", "78": "Yvelines", "79": "Deux-Sèvres",
    "80": "Somme", "81": "Tarn", "82": "Tarn-et-Garonne", "83": "Var", "84": "Vaucluse",
    "85": "Vendée", "86": "Vienne", "87": "Haute-Vienne", "88": "Vosges", "89": "Yonne",
    "90": "Territoire de Belfort", "91": "Essonne", "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis", "94": "Val-de-Marne", "95": "Val-d'Oise", "971": "Guadeloupe",
    "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte",
}  # fmt: skip

# Départements DVF does not cover, and why (DOMAIN.md, "Gaps").
NOT_IN_DVF: dict[str, str] = {
    "57": "Moselle keeps the Alsace-Moselle land register (Livre foncier), outside DVF",
    "67": "Bas-Rhin keeps the Alsace-Moselle land register (Livre foncier), outside DVF",
    "68": "Haut-Rhin keeps the Alsace-Moselle land register (Livre foncier), outside DVF",
    "976": "Mayotte is not covered by DVF",
}
MAYOTTE = "976"

# Every département DVF publishes: all of metropolitan France but Alsace-Moselle, Corsica as
# 2A/2B, and the overseas départements but Mayotte.
DVF_DEPARTEMENTS: tuple[str, ...] = tuple(
    code for code in DEPARTEMENT_NAMES if code not in NOT_IN_DVF
)

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


def departement_label(code: str) -> str:
    """ "Eure-et-Loir (28)": the name and code of a département, as messages show it."""
    name = DEPARTEMENT_NAMES.get(code)
    return f"{name} ({code})" if name else code


def departement_slug(code: str) -> str:
    """The name as IGN/INSEE file names spell it: "Côte-d'Or" → "cote-d-or"."""
    text = unicodedata.normalize("NFKD", DEPARTEMENT_NAMES[code])
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def departements_of(codes: Iterable[str]) -> pd.Series:
    """`departement_of` for a column of clean commune codes (as read from DVF or INSEE files:
    no padding); a missing code stays missing, where one code gives None."""
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
    """`statistics_commune` for a column of clean codes; a Series keeps its index, its dtype
    and its missing values (one code gives "" for those)."""
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
