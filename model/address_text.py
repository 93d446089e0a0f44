"""Addresses as words: folding, abbreviations, house numbers and postcodes (pure).

The offline index reads street and commune names the same way, so that `R. de Rivoli`,
`rue de rivoli` and DVF's `RUE DE RIVOLI` meet on the same words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Street-type abbreviations of DVF/FANTOIR and of people typing addresses.
ABBREVIATIONS = {
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "boul": "boulevard",
    "bvd": "boulevard",
    "r": "rue",
    "che": "chemin",
    "chem": "chemin",
    "ch": "chemin",
    "rte": "route",
    "imp": "impasse",
    "pl": "place",
    "all": "allee",
    "sq": "square",
    "pas": "passage",
    "psg": "passage",
    "vla": "villa",
    "crs": "cours",
    "res": "residence",
    "fg": "faubourg",
    "fbg": "faubourg",
    "st": "saint",
    "ste": "sainte",
    "pte": "porte",
    "prom": "promenade",
    "rle": "ruelle",
    "sen": "sentier",
    "gr": "grande rue",
    "gpl": "grande place",
    "ham": "hameau",
    "dig": "digue",
    "cr": "chemin rural",
    "vc": "voie communale",
    "mte": "montee",
    "esp": "esplanade",
    "espl": "esplanade",
    "rpt": "rond point",
    "trav": "traverse",
    "ctre": "centre",
    "lot": "lotissement",
    "gal": "general",
    "mal": "marechal",
    "pdt": "president",
    "dr": "docteur",
    "prof": "professeur",
    "cdt": "commandant",
    "lt": "lieutenant",
    "cne": "capitaine",
    "arr": "arrondissement",
    "arrdt": "arrondissement",
    "qua": "quai",
}
STOP_WORDS = frozenset("de du des la le les l d a au aux et en sur sous lès".split())
SUFFIXES = {"bis": "bis", "b": "bis", "ter": "ter", "t": "ter", "quater": "quater", "q": "quater"}
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
_POSTCODE = re.compile(r"^\d{5}$")
_NUMBER = re.compile(r"^(\d{1,4})([a-z]*)$")


def fold(text: str) -> str:
    """Lower case, no accents, words separated by single spaces."""
    text = unicodedata.normalize("NFKD", text.lower().translate(_LIGATURES))
    return _NON_WORD.sub(" ", text.encode("ascii", "ignore").decode("ascii")).strip()


def tokens(text: str) -> list[str]:
    """Meaningful words of a street or place name, abbreviations expanded."""
    out: list[str] = []
    for word in fold(text).split():
        for w in ABBREVIATIONS.get(word, word).split():
            if w not in STOP_WORDS:
                out.append(w)
    return out


@dataclass(frozen=True)
class ParsedQuery:
    """A free-text address split into house number, suffix, postcode and words."""

    number: str | None
    suffix: str | None
    postcode: str | None
    words: tuple[str, ...]


def parse_query(query: str) -> ParsedQuery:
    """Split `12 bis rue de Rivoli 75001 Paris` into its parts."""
    raw = fold(query).split()
    number = suffix = postcode = None
    words: list[str] = []
    for i, word in enumerate(raw):
        if postcode is None and _POSTCODE.match(word):
            postcode = word
            continue
        match = _NUMBER.match(word)
        if i == 0 and match and (not match.group(2) or match.group(2) in SUFFIXES):
            number = str(int(match.group(1)))
            suffix = SUFFIXES.get(match.group(2)) if match.group(2) else None
            continue
        if (
            i == 1
            and number is not None
            and suffix is None
            and word in SUFFIXES
            and word not in ABBREVIATIONS
        ):
            suffix = SUFFIXES[word]
            continue
        words.extend(tokens(word))
    return ParsedQuery(number, suffix, postcode, tuple(words))


def normalise_suffixes(suffixes):
    """`B`, `bis`, `BIS` -> `bis` (computed once per distinct value)."""
    suffixes = suffixes.fillna("").astype(str)
    mapping = {v: SUFFIXES.get(fold(v), fold(v)) for v in suffixes.unique()}
    return suffixes.map(mapping)


def street_label(street: str) -> str:
    """A street name for display: DVF's `RUE DU GAL LECLERC` becomes `Rue du General Leclerc`."""
    if street != street.upper():
        return street
    words = []
    for i, word in enumerate(street.lower().split()):
        word = (
            ABBREVIATIONS.get(word, word) if i == 0 or word in ("gal", "mal", "st", "ste") else word
        )
        words.append(word if (i > 0 and word in STOP_WORDS) else word.capitalize())
    return " ".join(words)


def without_last(words: tuple[str, ...], remove: set[str]) -> list[str]:
    """`words` without the last occurrence of each word of `remove` (the place comes last)."""
    out = list(words)
    for word in remove:
        for k in range(len(out) - 1, -1, -1):
            if out[k] == word:
                del out[k]
                break
    return out
