"""Recognise a complete, genuine copy of a downloaded file before it replaces anything."""

from __future__ import annotations

import csv
import fnmatch
import gzip
import json
import zlib
from pathlib import Path
from xml.etree import ElementTree

from training.sources import Check

CHUNK = 1 << 20
DELIMITERS = (",", ";", "|", "\t")


class VerificationError(Exception):
    """The file is not what the source should publish (truncated, corrupt, wrong layout)."""


def verify(path: Path, check: Check) -> dict:
    """Check `path` against `check`; return facts learnt on the way (e.g. dates covered)."""
    try:
        if check.kind == "csv":
            return _verify_csv(path, check)
        if check.kind in ("json", "geojson"):
            return _verify_json(path, check)
        if check.kind == "json-records":
            return _verify_json_records(path, check)
        if check.kind == "osm":
            return _verify_osm(path)
        if check.kind == "parquet":
            return _verify_parquet(path, check)
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise VerificationError(f"corrupt or truncated gzip: {error}") from None
    except UnicodeDecodeError as error:
        raise VerificationError(f"not text in UTF-8: {error}") from None
    raise ValueError(f"unknown check kind {check.kind!r}")


def _open(path: Path, check: Check):
    return gzip.open(path, "rb") if check.gzip else open(path, "rb")


def parse_header(line: bytes) -> list[str]:
    """Column names of a CSV header line, whatever its delimiter, BOM or `#` prefix."""
    try:
        text = line.decode("utf-8-sig").strip("\r\n")
    except UnicodeDecodeError:  # some publishers still write Latin-1
        text = line.decode("latin-1").strip("\r\n")
    delimiter = max(DELIMITERS, key=text.count)
    names = next(csv.reader([text], delimiter=delimiter))
    return [name.strip().lstrip("#").strip() for name in names]


def missing_columns(header: list[str], expected: tuple[str, ...]) -> list[str]:
    """Expected columns (or `PREFIX*` patterns) that the header lacks."""
    return [
        pattern
        for pattern in expected
        if not any(fnmatch.fnmatchcase(name, pattern) for name in header)
    ]


def _verify_csv(path: Path, check: Check) -> dict:
    facts: dict = {}
    with _open(path, check) as stream:
        first = stream.readline()
        if not first.strip():
            raise VerificationError("empty file: no header line")
        header = parse_header(first)
        missing = missing_columns(header, check.columns)
        if missing:
            raise VerificationError(
                f"unexpected header: missing column(s) {', '.join(missing)} "
                f"(found: {', '.join(header[:12])}{'…' if len(header) > 12 else ''})"
            )
        rows = 0
        if check.date_column:
            # Reading every line also proves the gzip stream is complete.
            index = header.index(check.date_column)
            first_date = last_date = None
            for line in stream:
                rows += 1
                value = line.split(b",", index + 1)[index].strip(b'"').decode()
                if value:
                    first_date = value if first_date is None else min(first_date, value)
                    last_date = value if last_date is None else max(last_date, value)
            facts["dates"] = {"first": first_date, "last": last_date}
        else:
            rows = 1 if stream.readline().strip() else 0
            while stream.read(CHUNK):  # to the end: a truncated gzip raises here
                pass
        if rows == 0:
            raise VerificationError("no data row after the header")
    return facts


def _verify_json(path: Path, check: Check) -> dict:
    with _open(path, check) as stream:
        try:
            document = json.load(stream)
        except json.JSONDecodeError as error:
            raise VerificationError(f"not valid JSON (truncated?): {error}") from None
    if not isinstance(document, dict):
        raise VerificationError("JSON document is not an object")
    if check.kind == "geojson":
        if document.get("type") != "FeatureCollection" or not isinstance(
            document.get("features"), list
        ):
            raise VerificationError("not a GeoJSON FeatureCollection")
        if not document["features"]:
            raise VerificationError("GeoJSON FeatureCollection without features")
        # A WFS answer says how many features matched: fewer returned is a cut page.
        matched = document.get("numberMatched")
        if isinstance(matched, int) and matched > len(document["features"]):
            raise VerificationError(
                f"the service matched {matched} features but returned "
                f"{len(document['features'])}: the answer is one page of several"
            )
        return {"features": len(document["features"])}
    missing = [key for key in check.keys if key not in document]
    if missing:
        raise VerificationError(f"JSON document lacks key(s) {', '.join(missing)}")
    # Overpass answers 200 with a remark when a query timed out or ran out of memory.
    remark = str(document.get("remark", ""))
    if "error" in remark.lower():
        raise VerificationError(f"the server reported: {remark}")
    if isinstance(document.get("elements"), list):
        return {"elements": len(document["elements"])}
    return {}


def _verify_json_records(path: Path, check: Check) -> dict:
    with _open(path, check) as stream:
        try:
            document = json.load(stream)
        except json.JSONDecodeError as error:
            raise VerificationError(f"not valid JSON (truncated?): {error}") from None
    if not isinstance(document, list):
        # APIs answer errors as an object, e.g. {"code": 400, "message": "..."}.
        shown = json.dumps(document, ensure_ascii=False)[:200]
        raise VerificationError(f"JSON document is not a list of records: {shown}")
    if not document:
        raise VerificationError("JSON list without records")
    for index, record in enumerate(document):
        missing = [key for key in check.keys if not isinstance(record, dict) or key not in record]
        if missing:
            raise VerificationError(
                f"record {index} lacks key(s) {', '.join(missing)}: "
                f"{json.dumps(record, ensure_ascii=False)[:200]}"
            )
    # A key no record holds means the API ignored the fields asked for.
    absent = [key for key in check.fields if not any(key in record for record in document)]
    if absent:
        raise VerificationError(f"no record holds {', '.join(absent)}")
    return {"records": len(document)}


def _verify_osm(path: Path) -> dict:
    nodes = 0
    try:
        for _, element in ElementTree.iterparse(path, events=("end",)):
            if element.tag == "node":
                nodes += 1
                element.clear()
            root_tag = element.tag
    except ElementTree.ParseError as error:
        raise VerificationError(f"not well-formed OSM XML (truncated?): {error}") from None
    if root_tag != "osm":
        raise VerificationError(f"not an OSM XML document (root <{root_tag}>)")
    return {"nodes": nodes}


def _verify_parquet(path: Path, check: Check) -> dict:
    import pyarrow.parquet as pq

    try:
        metadata = pq.ParquetFile(path).metadata
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError… for a bad footer
        raise VerificationError(f"not a complete Parquet file: {error}") from None
    header = [metadata.schema.column(i).name for i in range(metadata.num_columns)]
    missing = missing_columns(header, check.columns)
    if missing:
        raise VerificationError(f"unexpected schema: missing column(s) {', '.join(missing)}")
    if metadata.num_rows == 0:
        raise VerificationError("no rows")
    return {"rows": metadata.num_rows}
