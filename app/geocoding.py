"""Addresses to coordinates: the BAN search API, with an offline index when it is unreachable.

Owner: site engineer. Interface used by the site and the API (see docs/ARCHITECTURE.md):
`get_geocoder().geocode(query) -> Location | None` and `.suggest(query, limit) -> [Location]`.

The offline index reads the bundle's `reference/addresses.parquet` (BAN département files
where fetched, DVF addresses elsewhere) and `reference/communes.parquet` (centroids).
Addresses are never logged: only the precision and source of an answer are.
"""

from __future__ import annotations

import bisect
import difflib
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import requests

log = logging.getLogger(__name__)

# How precisely an address was located, most precise first.
PRECISIONS = ("housenumber", "street", "municipality", "postcode", "coordinates")


@dataclass(frozen=True)
class Location:
    """A geocoded place."""

    latitude: float
    longitude: float
    precision: str  # one of PRECISIONS
    source: str  # "ban-api" | "offline-ban" | "offline-dvf" | "commune-centroid" | "coordinates"
    label: str | None = None  # the address as understood, for display (never logged)
    code_commune: str | None = None  # INSEE code (arrondissement in Paris, Lyon, Marseille)
    postcode: str | None = None


# --- text normalisation (pure) -----------------------------------------------------------

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


def _normalise_suffixes(suffixes):
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


# --- the offline index -------------------------------------------------------------------

# Share of a street's name (idf-weighted) the query must contain to be taken for it.
MIN_STREET_SCORE = 0.6


class OfflineIndex:
    """Streets and house numbers held in numpy arrays, searched through an inverted index."""

    def __init__(self, addresses: pd.DataFrame, communes: pd.DataFrame):
        communes = communes.reset_index(drop=True)
        self.communes = communes
        self._commune_tokens = [frozenset(tokens(n)) for n in communes["name"].astype(str)]
        self._commune_by_code = {c: i for i, c in enumerate(communes["code_commune"])}
        stats = communes.get("code_commune_stats", communes["code_commune"]).astype(str)
        self._stats_code = dict(zip(communes["code_commune"], stats, strict=True))
        population = communes["population"] if "population" in communes else None
        self._population = (
            population.fillna(0).to_numpy() if population is not None else np.zeros(len(communes))
        )
        self._communes_by_word: dict[str, list[int]] = {}
        for i, name in enumerate(self._commune_tokens):
            for w in name:
                self._communes_by_word.setdefault(w, []).append(i)
        self._arrondissements: dict[str, set[str]] = {}
        for code, stats_code in self._stats_code.items():
            self._arrondissements.setdefault(stats_code, set()).add(code)
        self._communes_by_postcode: dict[str, list[int]] = {}
        for i, pc in enumerate(communes["postcode"].astype(str)):
            self._communes_by_postcode.setdefault(pc, []).append(i)

        addresses = addresses.dropna(subset=["latitude", "longitude", "street"])
        addresses = addresses.assign(
            number=addresses["number"].fillna("").astype(str).str.lstrip("0"),
            suffix=_normalise_suffixes(addresses["suffix"]),
            postcode=addresses["postcode"].fillna("").astype(str),
        )
        keys = ["street", "postcode", "code_commune"]
        grouped = addresses.groupby(keys, sort=True, observed=True)
        street_ids = grouped.ngroup().to_numpy()
        streets = grouped.agg(
            commune_name=("commune_name", "first"),
            source=("source", "first"),
            latitude=("latitude", "median"),
            longitude=("longitude", "median"),
            size=("latitude", "size"),
        ).reset_index()
        self.streets = streets
        order = np.argsort(street_ids, kind="stable")
        self._addr_number = addresses["number"].to_numpy(dtype=object)[order]
        self._addr_suffix = addresses["suffix"].to_numpy(dtype=object)[order]
        self._addr_lat = addresses["latitude"].to_numpy(dtype="float64")[order]
        self._addr_lon = addresses["longitude"].to_numpy(dtype="float64")[order]
        self._addr_code = addresses["code_commune"].astype(str).to_numpy(dtype=object)[order]
        self._offsets = np.searchsorted(street_ids[order], np.arange(len(streets) + 1))
        # A commune has several postcodes; the communes table keeps one, the streets the rest.
        for pc, code in (
            streets[["postcode", "code_commune"]].drop_duplicates().itertuples(index=False)
        ):
            i = self._commune_by_code.get(code)
            found = self._communes_by_postcode.setdefault(str(pc), [])
            if i is not None and i not in found:
                found.append(i)

        # Inverted index: word -> street ids; idf weights make "rue" count less than "rivoli".
        postings: dict[str, list[int]] = {}
        street_tokens = [tokens(s) for s in streets["street"].astype(str)]
        for sid, toks in enumerate(street_tokens):
            for t in set(toks):
                postings.setdefault(t, []).append(sid)
        n = max(len(streets), 1)
        self._postings = {t: np.asarray(ids, dtype=np.int64) for t, ids in postings.items()}
        self._idf = {t: float(np.log(1 + n / len(ids))) for t, ids in postings.items()}
        self._street_weight = np.array(
            [sum(self._idf[t] for t in set(toks)) or 1.0 for toks in street_tokens]
        )
        self._vocabulary = sorted(self._postings)
        self._street_code = streets["code_commune"].astype(str).to_numpy(dtype=object)
        self._streets_by_commune = pd.Series(self._street_code).groupby(self._street_code).indices
        self._street_postcode = streets["postcode"].astype(str).to_numpy(dtype=object)
        self._street_size = streets["size"].to_numpy(dtype="float64")

    @classmethod
    def load(cls, reference_dir: Path) -> OfflineIndex:
        """Read the index tables from a `reference/` folder (missing addresses: centroids only)."""
        reference_dir = Path(reference_dir)
        communes = pd.read_parquet(reference_dir / "communes.parquet")
        path = reference_dir / "addresses.parquet"
        if path.exists():
            addresses = pd.read_parquet(
                path,
                columns=[
                    "number",
                    "suffix",
                    "street",
                    "postcode",
                    "code_commune",
                    "commune_name",
                    "latitude",
                    "longitude",
                    "source",
                ],
            )
        else:
            log.warning("no offline address index at %s: commune centroids only", path)
            addresses = pd.DataFrame(
                {
                    c: pd.Series(dtype="str")
                    for c in [
                        "number",
                        "suffix",
                        "street",
                        "postcode",
                        "code_commune",
                        "commune_name",
                        "source",
                    ]
                }
                | {"latitude": pd.Series(dtype="float64"), "longitude": pd.Series(dtype="float64")}
            )
        return cls(addresses, communes)

    # -- places --

    def _places(self, parsed: ParsedQuery) -> tuple[list[int], set[str]]:
        """Communes named by the query (postcode first, then the longest matching name)."""
        words = set(parsed.words)
        if parsed.postcode:
            found = self._communes_by_postcode.get(parsed.postcode, [])
            if found:
                return found, {t for i in found for t in self._commune_tokens[i] & words}
        order = {w: k for k, w in enumerate(parsed.words)}  # last position of each word
        candidates = {i for w in words for i in self._communes_by_word.get(w, ())}
        named = [i for i in candidates if self._commune_tokens[i] <= words]
        if not named:
            return [], set()

        # The longest name wins, then the one written last (places come after streets),
        # then the most populous of homonyms.
        def rank(i: int) -> tuple:
            name = self._commune_tokens[i]
            return (len(name), max(order[w] for w in name), self._population[i])

        named.sort(key=rank, reverse=True)
        best = [i for i in named if rank(i)[:2] == rank(named[0])[:2]]
        return best, set(self._commune_tokens[best[0]])

    def _commune_codes(self, places: list[int]) -> set[str]:
        codes = {str(self.communes.at[i, "code_commune"]) for i in places}
        # Paris, Lyon, Marseille: the whole commune contains its arrondissements.
        return codes.union(*(self._arrondissements.get(c, ()) for c in codes))

    def _commune_location(self, i: int, precision: str) -> Location:
        row = self.communes.iloc[i]
        postcode = str(row["postcode"]) if row.get("postcode") is not None else None
        return Location(
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            precision=precision,
            source="commune-centroid",
            label=f"{postcode or ''} {row['name']}".strip(),
            code_commune=str(row["code_commune"]),
            postcode=postcode,
        )

    # -- streets --

    def _expand(self, word: str, prefix: bool) -> list[tuple[str, float]]:
        """The index words a query word stands for, with a confidence factor."""
        if word in self._postings:
            out = [(word, 1.0)]
            if not prefix:
                return out
        else:
            out = []
        if prefix or len(word) >= 4:
            lo = bisect.bisect_left(self._vocabulary, word)
            hi = bisect.bisect_left(self._vocabulary, word + "\x7f")
            # Prefer frequent completions: a partial word names a common street more often.
            candidates = [w for w in self._vocabulary[lo:hi] if w != word]
            candidates.sort(key=lambda w: -len(self._postings[w]))
            out += [(w, 0.9) for w in candidates[:200]]
        if not out and len(word) >= 4:
            close = [
                w
                for w in self._vocabulary[
                    bisect.bisect_left(self._vocabulary, word[0]) : bisect.bisect_left(
                        self._vocabulary, chr(ord(word[0]) + 1)
                    )
                ]
            ]
            out = [(w, 0.8) for w in difflib.get_close_matches(word, close, n=3, cutoff=0.8)]
        return out

    def _score_streets(self, words: list[str], prefix_last: bool) -> np.ndarray:
        """Share of each street's name (idf-weighted) found among the query words."""
        matched = np.zeros(len(self.streets))
        for k, word in enumerate(words):
            best = np.zeros(len(self.streets))
            for token, factor in self._expand(word, prefix_last and k == len(words) - 1):
                ids = self._postings[token]
                best[ids] = np.maximum(best[ids], self._idf[token] * factor)
            matched += best
        return np.minimum(matched / self._street_weight, 1.0)

    def _has_number(self, sid: int, parsed: ParsedQuery) -> bool:
        lo, hi = self._offsets[sid], self._offsets[sid + 1]
        return bool((self._addr_number[lo:hi] == parsed.number).any())

    def _street_location(self, sid: int, parsed: ParsedQuery) -> Location:
        street = self.streets.iloc[sid]
        lo, hi = self._offsets[sid], self._offsets[sid + 1]
        source = f"offline-{street['source']}"
        name = street_label(str(street["street"]))
        place = f"{street['postcode']} {street['commune_name']}".strip()
        if parsed.number is not None:
            numbers = self._addr_number[lo:hi]
            hits = np.flatnonzero(numbers == parsed.number)
            if len(hits):
                suffixes = self._addr_suffix[lo:hi][hits]
                want = parsed.suffix or ""
                exact = hits[suffixes == want]
                j = lo + (exact[0] if len(exact) else hits[0])
                suffix = f" {want}" if want and len(exact) else ""
                return Location(
                    latitude=float(self._addr_lat[j]),
                    longitude=float(self._addr_lon[j]),
                    precision="housenumber",
                    source=source,
                    label=f"{parsed.number}{suffix} {name} {place}",
                    code_commune=str(self._addr_code[j]),
                    postcode=str(street["postcode"]) or None,
                )
        return Location(
            latitude=float(street["latitude"]),
            longitude=float(street["longitude"]),
            precision="street",
            source=source,
            label=f"{name} {place}",
            code_commune=str(street["code_commune"]),
            postcode=str(street["postcode"]) or None,
        )

    # -- public --

    def _explains(self, sid: int, words: list[str], prefix: bool) -> bool:
        """Whether each query word is in the street's or its commune's name."""
        known = set(tokens(str(self.streets.at[sid, "street"])))
        known |= set(tokens(str(self.streets.at[sid, "commune_name"])))
        for k, word in enumerate(words):
            expansions = {t for t, _ in self._expand(word, prefix and k == len(words) - 1)}
            if word not in known and not expansions & known:
                return False
        return True

    def _streets(
        self,
        words: list[str],
        parsed: ParsedQuery,
        places: list[int] | None,
        limit: int,
        prefix: bool,
        explain_all: bool = False,
    ) -> list[Location]:
        """Streets named by `words`, inside `places` when given; [] when none is convincing."""
        if not words or len(self.streets) == 0:
            return []
        score = self._score_streets(words, prefix)
        if places:
            inside = np.zeros(len(self.streets), dtype=bool)
            for code in self._commune_codes(places):
                inside[self._streets_by_commune.get(code, [])] = True
            if parsed.postcode and (inside & (self._street_postcode == parsed.postcode)).any():
                inside &= self._street_postcode == parsed.postcode
            score = np.where(inside, score, 0.0)
        # Near-ties (scores within 0.05) go to the street with more known addresses.
        ranked = np.floor(score * 20) / 20 + 1e-3 * np.log1p(self._street_size)
        top = [int(s) for s in np.argsort(-ranked)[: limit * 4] if score[s] >= MIN_STREET_SCORE]
        if explain_all:
            top = [s for s in top if self._explains(s, words, prefix)]
        if parsed.number is not None and top:
            # Among equally good streets (one name, several postcodes), the one with the number.
            best = ranked[top[0]] // 1e-2
            top.sort(key=lambda s: (ranked[s] // 1e-2 != best, not self._has_number(s, parsed)))
        return [self._street_location(s, parsed) for s in top[:limit]]

    def search(self, query: str, limit: int = 1, *, prefix: bool = False) -> list[Location]:
        """The best locations for a free-text address, most likely first."""
        parsed = parse_query(query)
        places, place_words = self._places(parsed)
        if places:
            rest = _without_last(parsed.words, place_words)
            if not rest:
                precision = "postcode" if parsed.postcode and not place_words else "municipality"
                return [self._commune_location(i, precision) for i in places[:limit]]
            found = self._streets(rest, parsed, places, limit, prefix)
            if found:
                return found
        # A word taken for a commune ("Rue", "Champs") may belong to the street instead;
        # a postcode, though, pins the place down, and every word must then be explained.
        if not (parsed.postcode and places):
            found = self._streets(list(parsed.words), parsed, None, limit, prefix, explain_all=True)
            if found:
                return found
        # The street is unknown here: say where the place is rather than guess a street.
        return [self._commune_location(i, "municipality") for i in places[:limit]]


def _without_last(words: tuple[str, ...], remove: set[str]) -> list[str]:
    """`words` without the last occurrence of each word of `remove` (the place comes last)."""
    out = list(words)
    for word in remove:
        for k in range(len(out) - 1, -1, -1):
            if out[k] == word:
                del out[k]
                break
    return out


# --- the BAN API and the geocoder ---------------------------------------------------------

BAN_TYPES = {
    "housenumber": "housenumber",
    "street": "street",
    "locality": "street",
    "municipality": "municipality",
}
# Below this BAN score the answer is usually another place with a similar name.
BAN_MIN_SCORE = 0.5
# After a failure, leave the API alone for a while instead of paying the timeout each time.
BAN_RETRY_AFTER_SECONDS = 60.0


def parse_ban_feature(feature: dict) -> Location | None:
    """A Location from one GeoJSON feature of the BAN search API, None if unusable."""
    try:
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"][:2]
        precision = BAN_TYPES.get(props.get("type"))
        if precision is None or float(props.get("score", 0)) < BAN_MIN_SCORE:
            return None
        return Location(
            latitude=float(lat),
            longitude=float(lon),
            precision=precision,
            source="ban-api",
            label=props.get("label"),
            code_commune=props.get("citycode"),
            postcode=props.get("postcode"),
        )
    except (KeyError, TypeError, ValueError, IndexError):
        return None


class Geocoder:
    """The BAN API when configured and reachable, else the offline index."""

    def __init__(
        self, url: str | None, timeout: float, reference: Path | Callable[[], Path | None] | None
    ):
        self.url = url or None
        self.timeout = timeout
        # A folder, or a function finding it (the champion may be promoted after start-up).
        self._reference = reference
        self._session = requests.Session()
        self._index: OfflineIndex | None = None
        self._lock = threading.Lock()
        self._api_down_until = 0.0

    @property
    def index(self) -> OfflineIndex | None:
        """The offline index, loaded on first use."""
        if self._index is None:
            with self._lock:
                reference = self._reference() if callable(self._reference) else self._reference
                if (
                    self._index is None
                    and reference is not None
                    and (Path(reference) / "communes.parquet").exists()
                ):
                    self._index = OfflineIndex.load(Path(reference))
        return self._index

    def _api(self, query: str, limit: int, autocomplete: bool) -> list[Location] | None:
        """BAN answers, or None when the API is not configured or failed."""
        if not self.url or time.monotonic() < self._api_down_until:
            return None
        params = {"q": query[:200], "limit": limit, "autocomplete": int(autocomplete)}
        try:
            response = self._session.get(self.url, params=params, timeout=self.timeout)
            response.raise_for_status()
            features = response.json()["features"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            self._api_down_until = time.monotonic() + BAN_RETRY_AFTER_SECONDS
            log.warning("BAN API unavailable (%s): offline index used", type(exc).__name__)
            return None
        return [loc for loc in map(parse_ban_feature, features) if loc is not None]

    def geocode(self, query: str) -> Location | None:
        """The most likely location of an address, or None."""
        if not query or not query.strip():
            return None
        found = self._api(query, 1, autocomplete=False)
        if not found and self.index is not None:
            found = self.index.search(query, 1)
        result = found[0] if found else None
        log.info(
            "geocoded: precision=%s source=%s",
            result and result.precision,
            result and result.source,
        )
        return result

    def suggest(self, query: str, limit: int = 5) -> list[Location]:
        """Completions of a partly typed address, for the form."""
        if not query or len(query.strip()) < 3:
            return []
        found = self._api(query, limit, autocomplete=True)
        if not found and self.index is not None:
            found = self.index.search(query, limit, prefix=True)
        return found or []


def reference_dir_for(home: str | Path) -> Path | None:
    """The champion bundle's `reference/`, else the prepared one."""
    from model.registry import read_champion
    from model.settings import layout

    paths = layout(home)
    version = read_champion(paths.models) if paths.models.is_dir() else None
    if version:
        bundled = paths.models / version / "reference"
        if (bundled / "communes.parquet").exists():
            return bundled
    if (paths.reference / "communes.parquet").exists():
        return paths.reference
    return None


def get_geocoder() -> Geocoder:
    """The geocoder of the current app, built once."""
    from flask import current_app

    geocoder = current_app.extensions.get("immoval.geocoder")
    if geocoder is None:
        config = current_app.config
        geocoder = Geocoder(
            config.get("GEOCODER_URL"),
            float(config.get("GEOCODER_TIMEOUT", 1.5)),
            lambda home=config["HOME"]: reference_dir_for(home),
        )
        current_app.extensions["immoval.geocoder"] = geocoder
    return geocoder


def preload(app) -> bool:
    """Load the offline index up front (e.g. in gunicorn's `on_starting`, before forking)."""
    with app.app_context():
        return get_geocoder().index is not None
