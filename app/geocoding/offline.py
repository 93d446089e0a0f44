"""The offline address index: streets and house numbers of the bundle, searched without network.

It reads the bundle's `reference/addresses.parquet` (BAN département files where fetched,
DVF addresses elsewhere) and `reference/communes.parquet` (centroids).
"""

from __future__ import annotations

import bisect
import difflib
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from app.geocoding.communes import CommuneIndex
from app.geocoding.location import Location
from app.geocoding.text import (
    ParsedQuery,
    normalise_suffixes,
    parse_query,
    street_label,
    tokens,
    without_last,
)

log = logging.getLogger(__name__)

# Share of a street's name (idf-weighted) the query must contain to be taken for it.
MIN_STREET_SCORE = 0.6
# The columns of `addresses.parquet` the index reads (`training.addresses` writes them).
TEXT_COLUMNS = ("number", "suffix", "street", "postcode", "code_commune", "commune_name", "source")
COORDINATES = ("latitude", "longitude")


class OfflineIndex:
    """Streets and house numbers held in numpy arrays, searched through an inverted index."""

    def __init__(self, addresses: pd.DataFrame, communes: pd.DataFrame):
        self.places = CommuneIndex(communes)
        self.communes = self.places.communes
        addresses = addresses.dropna(subset=["latitude", "longitude", "street"])
        addresses = addresses.assign(
            number=addresses["number"].fillna("").astype(str).str.lstrip("0"),
            suffix=normalise_suffixes(addresses["suffix"]),
            postcode=addresses["postcode"].fillna("").astype(str),
        )
        grouped = addresses.groupby(
            ["street", "postcode", "code_commune"], sort=True, observed=True
        )
        street_ids = grouped.ngroup().to_numpy()
        streets = grouped.agg(
            commune_name=("commune_name", "first"),
            source=("source", "first"),
            latitude=("latitude", "median"),
            longitude=("longitude", "median"),
            size=("latitude", "size"),
        ).reset_index()
        self.streets = streets
        self._index_numbers(addresses, street_ids)
        for pc, code in (
            streets[["postcode", "code_commune"]].drop_duplicates().itertuples(index=False)
        ):
            self.places.add_postcode(str(pc), code)
        self._index_words([tokens(s) for s in streets["street"].astype(str)])
        self._street_code = streets["code_commune"].astype(str).to_numpy(dtype=object)
        self._streets_by_commune = pd.Series(self._street_code).groupby(self._street_code).indices
        self._street_postcode = streets["postcode"].astype(str).to_numpy(dtype=object)
        self._street_size = streets["size"].to_numpy(dtype="float64")

    def _index_numbers(self, addresses: pd.DataFrame, street_ids: np.ndarray) -> None:
        """The addresses sorted by street: a street's numbers are one slice of the arrays."""
        order = np.argsort(street_ids, kind="stable")
        self._addr_number = addresses["number"].to_numpy(dtype=object)[order]
        self._addr_suffix = addresses["suffix"].to_numpy(dtype=object)[order]
        self._addr_lat = addresses["latitude"].to_numpy(dtype="float64")[order]
        self._addr_lon = addresses["longitude"].to_numpy(dtype="float64")[order]
        self._addr_code = addresses["code_commune"].astype(str).to_numpy(dtype=object)[order]
        self._offsets = np.searchsorted(street_ids[order], np.arange(len(self.streets) + 1))

    def _index_words(self, street_tokens: list[list[str]]) -> None:
        """Inverted index: word -> street ids; idf weights make "rue" count less than "rivoli"."""
        postings: dict[str, list[int]] = {}
        for sid, toks in enumerate(street_tokens):
            for t in set(toks):
                postings.setdefault(t, []).append(sid)
        n = max(len(street_tokens), 1)
        self._postings = {t: np.asarray(ids, dtype=np.int64) for t, ids in postings.items()}
        self._idf = {t: float(np.log(1 + n / len(ids))) for t, ids in postings.items()}
        self._street_weight = np.array(
            [sum(self._idf[t] for t in set(toks)) or 1.0 for toks in street_tokens]
        )
        self._vocabulary = sorted(self._postings)

    @classmethod
    def load(cls, reference_dir: Path) -> OfflineIndex:
        """Read the index tables from a `reference/` folder (missing addresses: centroids only)."""
        reference_dir = Path(reference_dir)
        communes = pd.read_parquet(reference_dir / "communes.parquet")
        path = reference_dir / "addresses.parquet"
        if path.exists():
            addresses = pd.read_parquet(path, columns=[*TEXT_COLUMNS, *COORDINATES])
        else:
            log.warning("no offline address index at %s: commune centroids only", path)
            addresses = pd.DataFrame(
                {c: pd.Series(dtype="str") for c in TEXT_COLUMNS}
                | {c: pd.Series(dtype="float64") for c in COORDINATES}
            )
        return cls(addresses, communes)

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
            lo = bisect.bisect_left(self._vocabulary, word[0])
            hi = bisect.bisect_left(self._vocabulary, chr(ord(word[0]) + 1))
            close = self._vocabulary[lo:hi]
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
            for code in self.places.codes(places):
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

    # -- public --

    def search(self, query: str, limit: int = 1, *, prefix: bool = False) -> list[Location]:
        """The best locations for a free-text address, most likely first."""
        parsed = parse_query(query)
        places, place_words = self.places.places(parsed)
        if places:
            rest = without_last(parsed.words, place_words)
            if not rest:
                precision = "postcode" if parsed.postcode and not place_words else "municipality"
                return [self.places.location(i, precision) for i in places[:limit]]
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
        return [self.places.location(i, "municipality") for i in places[:limit]]
