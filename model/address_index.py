"""The offline address index on disk: one SQLite file (FTS5), written by prepare, read by
every worker without loading it.

`reference/addresses.sqlite3` holds the streets (one row per street × postcode × commune,
with its words as `model.address_text.tokens` reads them, its centre and its idf weight),
their house numbers, an FTS5 table of the streets' words and communes (a street is found by
a word within a commune without reading the commune's other streets) and the vocabulary
with the number of streets holding each word. `AddressIndexWriter` adds one département at
a time (memory follows a département, not France); `open_read_only` is what the geocoder
queries.
"""

from __future__ import annotations

import math
import os
import sqlite3
from pathlib import Path

import pandas as pd

from model.address_text import normalise_suffixes, tokens

INDEX_FILE = "addresses.sqlite3"
LAYOUT = "2"  # 2: the FTS5 table holds the commune too
_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE streets(
    id INTEGER PRIMARY KEY, street TEXT NOT NULL, postcode TEXT NOT NULL,
    code_commune TEXT NOT NULL, commune_name TEXT NOT NULL, source TEXT NOT NULL,
    latitude REAL NOT NULL, longitude REAL NOT NULL, size INTEGER NOT NULL,
    words TEXT NOT NULL, weight REAL);
CREATE TABLE numbers(
    street_id INTEGER NOT NULL, number TEXT NOT NULL, suffix TEXT NOT NULL,
    latitude REAL NOT NULL, longitude REAL NOT NULL, code_commune TEXT NOT NULL,
    parcel_id TEXT);
CREATE TEMP TABLE parcels(
    code_commune TEXT NOT NULL, number TEXT NOT NULL, suffix TEXT NOT NULL,
    words TEXT NOT NULL, parcel_id TEXT NOT NULL);
CREATE VIRTUAL TABLE street_words USING fts5(
    words, commune, content='', detail=column, tokenize='ascii');
CREATE TABLE words(word TEXT PRIMARY KEY, streets INTEGER NOT NULL) WITHOUT ROWID;
"""
# Built once the rows are in: faster than keeping them up to date row by row.
_INDEXES = """
CREATE INDEX streets_commune ON streets(code_commune);
CREATE INDEX numbers_street ON numbers(street_id, number);
"""


class IndexLayoutError(ValueError):
    """An index file written by another version of this module."""


class AddressIndexWriter:
    """Builds the index file département by département; `finish` moves it into place."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._partial = self.path.with_name(f".{self.path.name}.partial-{os.getpid()}")
        self._partial.unlink(missing_ok=True)
        self._db = sqlite3.connect(self._partial)
        self._db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        self._next_id = 1
        self.rows = 0

    def add(self, addresses: pd.DataFrame) -> None:
        """Addresses (`training.addresses.COLUMNS`) of départements not added before."""
        addresses = addresses.dropna(subset=["latitude", "longitude", "street"])
        if addresses.empty:
            return
        addresses = addresses.assign(
            number=addresses["number"].fillna("").astype(str).str.lstrip("0"),
            suffix=normalise_suffixes(addresses["suffix"]),
            postcode=addresses["postcode"].fillna("").astype(str),
            code_commune=addresses["code_commune"].astype(str),
            commune_name=addresses["commune_name"].fillna("").astype(str),
            street=addresses["street"].astype(str),
        )
        keys = ["street", "postcode", "code_commune"]
        grouped = addresses.groupby(keys, sort=True, observed=True)
        streets = grouped.agg(
            commune_name=("commune_name", "first"),
            source=("source", "first"),
            latitude=("latitude", "median"),
            longitude=("longitude", "median"),
            size=("latitude", "size"),
        ).reset_index()
        first = self._next_id
        ids = first + grouped.ngroup().to_numpy()
        self._next_id += len(streets)
        words = [" ".join(tokens(s)) for s in streets["street"]]
        self._db.executemany(
            "INSERT INTO streets VALUES (?,?,?,?,?,?,?,?,?,?,NULL)",
            (
                (first + k, *row[:7], int(row[7]), w)
                for k, (row, w) in enumerate(
                    zip(
                        streets[
                            [*keys, "commune_name", "source", "latitude", "longitude", "size"]
                        ].itertuples(index=False, name=None),
                        words,
                        strict=True,
                    )
                )
            ),
        )
        self._db.executemany(
            "INSERT INTO street_words(rowid, words, commune) VALUES (?, ?, ?)",
            (
                (first + k, w, code)
                for k, (w, code) in enumerate(zip(words, streets["code_commune"], strict=True))
            ),
        )
        # Numbers in the order they came, street by street (the first of a number wins).
        numbers = addresses.assign(street_id=ids.tolist()).sort_values("street_id", kind="stable")
        self._db.executemany(
            "INSERT INTO numbers VALUES (?,?,?,?,?,?,NULL)",
            numbers[
                ["street_id", "number", "suffix", "latitude", "longitude", "code_commune"]
            ].itertuples(index=False, name=None),
        )
        self.rows += len(addresses)

    def add_parcels(self, sales: pd.DataFrame) -> None:
        """The parcel of earlier sales at each address (columns code_commune, number, suffix,
        street, parcel_id): `finish` gives it to the index's numbers of that address, BAN's
        too, matched on the street's words, so that a house number found brings its
        parcel's history (its point may be farther from the parcel's centre than a snap)."""
        sales = sales.loc[sales["parcel_id"].notna() & sales["street"].notna()]
        if sales.empty:
            return
        keys = ["code_commune", "number", "suffix", "street"]
        frame = sales.assign(
            number=sales["number"].fillna("").astype(str).str.lstrip("0"),
            suffix=normalise_suffixes(sales["suffix"]),
            code_commune=sales["code_commune"].astype(str),
            street=sales["street"].astype(str),
            parcel_id=sales["parcel_id"].astype(str),
        )
        frame = frame.loc[frame["number"] != "", [*keys, "parcel_id"]]
        # One parcel per address: the last listed (a home's parcel rarely changes).
        frame = frame.drop_duplicates(keys, keep="last")
        words = {s: " ".join(tokens(s)) for s in frame["street"].unique()}
        self._db.executemany(
            "INSERT INTO parcels VALUES (?,?,?,?,?)",
            zip(
                frame["code_commune"],
                frame["number"],
                frame["suffix"],
                frame["street"].map(words),
                frame["parcel_id"],
                strict=True,
            ),
        )

    def finish(self) -> Path:
        """Vocabulary, weights and indexes; then the file replaces any previous one."""
        db = self._db
        db.executescript(
            "CREATE INDEX temp.parcels_address ON parcels(code_commune, number, suffix, words);"
            "UPDATE numbers SET parcel_id = (SELECT p.parcel_id FROM parcels p, streets s "
            "WHERE s.id = numbers.street_id AND p.code_commune = numbers.code_commune "
            "AND p.number = numbers.number AND p.suffix = numbers.suffix AND p.words = s.words "
            "LIMIT 1);"
            "DROP TABLE temp.parcels;"
        )
        db.executescript(
            "CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, street_words, 'col');"
            "INSERT INTO words SELECT term, doc FROM temp.vocab WHERE col = 'words';"
        )
        count = db.execute("SELECT count(*) FROM streets").fetchone()[0]
        idf = {w: math.log(1 + count / n) for w, n in db.execute("SELECT word, streets FROM words")}
        weights = (
            (sum(idf.get(t, 0.0) for t in set(words.split())) or 1.0, sid)
            for sid, words in db.execute("SELECT id, words FROM streets").fetchall()
        )
        db.executemany("UPDATE streets SET weight = ? WHERE id = ?", weights)
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("layout", LAYOUT), ("streets", str(count)), ("addresses", str(self.rows))],
        )
        db.executescript(_INDEXES + "ANALYZE;")
        db.commit()
        db.close()
        os.replace(self._partial, self.path)  # readers never see a half-written index
        return self.path

    def abort(self) -> None:
        self._db.close()
        self._partial.unlink(missing_ok=True)


def open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection (the file never changes once written: no locking)."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1"
    db = sqlite3.connect(uri, uri=True, check_same_thread=False)
    layout = db.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
    if layout is None or layout[0] != LAYOUT:
        db.close()
        raise IndexLayoutError(f"{path}: address index of another layout ({layout})")
    return db
