"""The offline address index: the streets and house numbers of `reference/addresses.sqlite3`
(`model.address_index`), searched without network and without loading them.

Each worker opens the file read-only (one connection per thread and process, never across a
fork); a search reads only the streets holding its words (within its commune when it names
one), with a bounded number of candidates and a time limit. A reference written before
the file existed (only `addresses.parquet`) is indexed into a temporary file once per
process.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import os
import sqlite3
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from app.geocoding.communes import CommuneIndex
from app.geocoding.location import Location
from app.geocoding.street_numbers import street_location
from model.address_index import (
    INDEX_FILE,
    AddressIndexWriter,
    IndexLayoutError,
    open_read_only,
)
from model.address_text import ParsedQuery, parse_query, tokens, without_last

log = logging.getLogger(__name__)

# Share of a street's name (idf-weighted) the query must contain to be taken for it.
MIN_STREET_SCORE = 0.6
# Bounds of one search: past SEARCH_SECONDS it gives up (the commune's centre instead);
# at most MAX_CANDIDATES streets are read per query word.
SEARCH_SECONDS = 0.5
MAX_CANDIDATES = 3_000
MAX_COMPLETIONS = 200  # index words a partly typed word may stand for
MAX_FUZZY_WORDS = 5_000  # words compared with a misspelt one
_STREET_COLUMNS = "id, street, postcode, code_commune, commune_name, source, latitude, longitude"
_STREET_COLUMNS += ", size, words, weight"


@dataclass(frozen=True)
class Street:
    """One street × postcode × commune of the index."""

    id: int
    street: str
    postcode: str
    code_commune: str
    commune_name: str
    source: str
    latitude: float
    longitude: float
    size: int
    words: frozenset[str]
    weight: float


class Expansion(dict):
    """The index words a query word stands for -> idf × confidence; `streets`: how many
    streets hold any of them (at most, summed)."""

    streets = 0

    def add(self, word: str, weight: float, streets: int) -> None:
        self[word] = weight
        self.streets += streets


class SearchTimeout(RuntimeError):
    """A search took longer than SEARCH_SECONDS."""


class OfflineIndex:
    """Streets and house numbers in an SQLite file, searched through its FTS5 word index."""

    def __init__(self, path: Path, communes: pd.DataFrame, *, search_seconds=SEARCH_SECONDS):
        self.path = Path(path)
        self.search_seconds = search_seconds
        self.places = CommuneIndex(communes)
        self.communes = self.places.communes
        self._local = threading.local()
        db = open_read_only(self.path)
        try:
            self.street_count = int(_meta(db, "streets"))
            # An index written before numbers had their parcel: none.
            columns = {row[1] for row in db.execute("PRAGMA table_info(numbers)")}
            self._parcel = "parcel_id" if "parcel_id" in columns else "NULL"
            for postcode, code in db.execute("SELECT DISTINCT postcode, code_commune FROM streets"):
                self.places.add_postcode(postcode, code)
        finally:
            db.close()

    @classmethod
    def load(cls, reference_dir: Path) -> OfflineIndex:
        """The index of a `reference/` folder (no address file: commune centroids only)."""
        reference_dir = Path(reference_dir)
        communes = pd.read_parquet(reference_dir / "communes.parquet")
        if (reference_dir / INDEX_FILE).is_file():
            try:
                return cls(reference_dir / INDEX_FILE, communes)
            except IndexLayoutError as error:
                log.warning("%s: run `immoval addresses`; commune centroids only", error)
                return cls.from_frames(None, communes)
        older = reference_dir / "addresses.parquet"
        if older.is_file():
            return cls.from_frames(pd.read_parquet(older), communes)
        log.warning("no offline address index in %s: commune centroids only", reference_dir)
        return cls.from_frames(None, communes)

    @classmethod
    def from_frames(cls, addresses: pd.DataFrame | None, communes: pd.DataFrame) -> OfflineIndex:
        """An index of address rows (`training.addresses.COLUMNS`) in a temporary file."""
        folder = Path(tempfile.mkdtemp(prefix="immoval-addresses-"))
        writer = AddressIndexWriter(folder / INDEX_FILE)
        try:
            if addresses is not None:
                writer.add(addresses)
            index = cls(writer.finish(), communes)
        except BaseException:
            writer.abort()
            _remove(folder, os.getpid())
            raise
        weakref.finalize(index, _remove, folder, os.getpid())
        return index

    # -- the connection of this thread --

    def _db(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # a fork copies no connection
            local.db, local.pid, local.deadline = open_read_only(self.path), os.getpid(), None
            local.db.set_progress_handler(self._too_long, 1_000)
        return local.db

    def _too_long(self) -> int:
        deadline = getattr(self._local, "deadline", None)
        return int(deadline is not None and time.monotonic() > deadline)

    def _rows(self, sql: str, *args) -> list:
        if self._too_long():  # between statements; the progress handler within one
            raise SearchTimeout(sql)
        try:
            return self._db().execute(sql, args).fetchall()
        except sqlite3.OperationalError as error:
            if "interrupted" in str(error):
                raise SearchTimeout(sql) from error
            raise

    # -- streets --

    def _expand(self, word: str, prefix: bool) -> Expansion:
        """The index words a query word stands for, each with its idf × confidence."""
        out = Expansion()
        exact = self._rows("SELECT streets FROM words WHERE word = ?", word)
        if exact:
            out.add(word, self._idf(exact[0][0]), exact[0][0])
            if not prefix:
                return out
        if prefix or len(word) >= 4:
            # Prefer frequent completions: a partial word names a common street more often.
            for token, n in self._rows(
                "SELECT word, streets FROM words WHERE word > ? AND word < ? "
                "ORDER BY streets DESC LIMIT ?",
                word,
                word + "\x7f",
                MAX_COMPLETIONS,
            ):
                out.add(token, self._idf(n) * 0.9, n)
        if not out and len(word) >= 4:
            near = dict(
                self._rows(
                    "SELECT word, streets FROM words WHERE word >= ? AND word < ? "
                    "AND length(word) BETWEEN ? AND ? LIMIT ?",
                    word[0],
                    chr(ord(word[0]) + 1),
                    len(word) - 2,
                    len(word) + 2,
                    MAX_FUZZY_WORDS,
                )
            )
            for token in difflib.get_close_matches(word, list(near), n=3, cutoff=0.8):
                out.add(token, self._idf(near[token]) * 0.8, near[token])
        return out

    def _idf(self, streets: int) -> float:
        return math.log(1 + max(self.street_count, 1) / streets)

    def _candidates(self, expansions: list[Expansion], codes: set[str] | None):
        """Streets that may be meant (inside the communes `codes` when given): those holding
        the query's rarer words, at most MAX_CANDIDATES per word; a word in more streets
        than that counts only when no word is rarer (it cannot carry a name alone)."""
        rare = [e for e in expansions if e and e.streets <= MAX_CANDIDATES]
        if not rare and any(expansions):
            rare = [min((e for e in expansions if e), key=lambda e: e.streets)]
        inside = f" AND commune : ({_any(codes)})" if codes else ""
        ids: set[int] = set()
        for words in rare:
            ids.update(
                r[0]
                for r in self._rows(
                    "SELECT rowid FROM street_words WHERE street_words MATCH ? LIMIT ?",
                    f"words : ({_any(words)}){inside}",
                    MAX_CANDIDATES,
                )
            )
        return self._streets_where("id IN (SELECT value FROM json_each(?))", ids)

    def _streets_where(self, where: str, values) -> list[Street]:
        rows = self._rows(
            f"SELECT {_STREET_COLUMNS} FROM streets WHERE {where} ORDER BY id",
            json.dumps(sorted(values)),
        )
        return [Street(*row[:9], frozenset(row[9].split()), row[10]) for row in rows]

    @staticmethod
    def _score(street: Street, expansions: list[dict[str, float]]) -> float:
        """Share of the street's name (idf-weighted) found among the query words."""
        matched = 0.0
        for words in expansions:
            matched += max((words[t] for t in street.words if t in words), default=0.0)
        return min(matched / street.weight, 1.0)

    @staticmethod
    def _covers(street: Street, expansions: list[dict[str, float]]) -> float:
        """Share of the query's words (idf-weighted) found in the street's name."""
        total = sum(max(words.values(), default=0.0) for words in expansions)
        found = sum(
            max((words[t] for t in street.words if t in words), default=0.0) for words in expansions
        )
        return found / total if total else 0.0

    def _has_number(self, street: Street, parsed: ParsedQuery) -> bool:
        return bool(
            self._rows(
                "SELECT 1 FROM numbers WHERE street_id = ? AND number = ? LIMIT 1",
                street.id,
                parsed.number,
            )
        )

    def _street_location(self, street: Street, parsed: ParsedQuery, prefix: bool) -> Location:
        return street_location(street, parsed, prefix, self._rows, self._parcel)

    @staticmethod
    def _explains(street: Street, words: list[str], expansions: list[dict[str, float]]) -> bool:
        """Whether each query word is in the street's or its commune's name."""
        known = street.words | set(tokens(street.commune_name))
        return all(
            w in known or known.intersection(e) for w, e in zip(words, expansions, strict=True)
        )

    def _best(self, candidates: list[Street], expansions, parsed, limit, words=None):
        """The convincing streets among candidates, best first (`words`: each one must be
        explained by the street or its commune)."""
        scored = [(s, self._score(s, expansions)) for s in candidates]
        # Near-ties (scores within 0.05) go to the street that explains more of the query
        # ("rue du Bouquet de Longchamp" is not "rue de Longchamp"), then to the one with more
        # known addresses (both terms stay below 0.01).
        ranked = {
            # (+1e-9: a full match summed in floats may fall just short of 1)
            s.id: math.floor(v * 20 + 1e-9) / 20
            + 8e-3 * math.floor(10 * self._covers(s, expansions) + 1e-9) / 10
            + 1e-4 * math.log1p(s.size)
            for s, v in scored
        }
        scored.sort(key=lambda sv: (-ranked[sv[0].id], sv[0].id))
        top = [s for s, v in scored[: limit * 4] if v >= MIN_STREET_SCORE]
        if words is not None:
            top = [s for s in top if self._explains(s, words, expansions)]
        if parsed.number is not None and top:
            # Among equally good streets (one name, several postcodes), the one with the number.
            best = ranked[top[0].id] // 1e-2
            top.sort(key=lambda s: (ranked[s.id] // 1e-2 != best, not self._has_number(s, parsed)))
        return top

    def _streets(self, words, parsed, places, limit, prefix, explain_all=False):
        """Streets named by `words`, inside `places` when given; [] when none is convincing."""
        if not words or not self.street_count:
            return []
        last = len(words) - 1
        expansions = [self._expand(w, prefix and k == last) for k, w in enumerate(words)]
        codes = self.places.codes(places) if places else None
        candidates = self._candidates(expansions, codes)
        top = []
        if places and parsed.postcode:
            # The typed postcode first; a street of the commune under another postcode
            # (59000 typed, the street is 59800) rather than the commune's centre.
            same = [s for s in candidates if s.postcode == parsed.postcode]
            top = self._best(same, expansions, parsed, limit)
        if not top:
            top = self._best(candidates, expansions, parsed, limit, words if explain_all else None)
        return [self._street_location(s, parsed, prefix) for s in top[:limit]]

    # -- public --

    def search(self, query: str, limit: int = 1, *, prefix: bool = False) -> list[Location]:
        """The best locations for a free-text address, most likely first."""
        parsed = parse_query(query)
        places, place_words = self.places.places(parsed)
        self._db()
        self._local.deadline = time.monotonic() + self.search_seconds
        try:
            return self._search(parsed, places, place_words, limit, prefix)
        except SearchTimeout:
            log.warning("offline address search stopped after %s s", self.search_seconds)
        except sqlite3.Error:  # a damaged file: the communes still answer
            log.exception("offline address search failed in %s", self.path)
        finally:
            self._local.deadline = None
        return [self.places.location(i, "municipality") for i in places[:limit]]

    def _search(self, parsed, places, place_words, limit, prefix) -> list[Location]:
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


def _any(values) -> str:
    """An FTS5 query for any of the values (index words or INSEE codes: no quotes in them)."""
    return " OR ".join(f'"{v}"' for v in sorted(values))


def _meta(db: sqlite3.Connection, key: str) -> str:
    return db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]


def _remove(folder: Path, pid: int) -> None:
    if os.getpid() != pid:  # a forked worker exits: the file is its parent's
        return
    for path in folder.glob("*"):
        path.unlink(missing_ok=True)
    folder.rmdir()
