"""`immoval predict`'s core: estimates for a CSV of homes described with DVF column names.

Every input row comes out, in order, with all its columns unchanged, plus `estimate`,
`estimate_low`, `estimate_high`, `price_per_m2`, `model_version` and `error` (empty when
estimated, else why not). Rows are never dropped, malformed ones included.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from model.csv_cells import safe_cell
from model.property import InvalidProperty, Property
from training.errors import PipelineError

OUTPUT_COLUMNS = (
    "estimate",
    "estimate_low",
    "estimate_high",
    "price_per_m2",
    "model_version",
    "error",
)
TYPES = {"maison": "house", "appartement": "apartment"}
# Property field → the DVF column it is read from (and named by in error messages).
DVF_NAMES = {
    "valuation_date": "date_mutation",
    "property_type": "type_local",
    "living_area_m2": "surface_reelle_bati",
    "rooms": "nombre_pieces_principales",
    "land_area_m2": "surface_terrain",
    "outbuildings": "nombre_dependances",
    "latitude": "latitude",
    "longitude": "longitude",
    "code_commune": "code_commune",
}
REQUIRED = tuple(
    DVF_NAMES[field]
    for field in (
        "valuation_date",
        "property_type",
        "living_area_m2",
        "rooms",
        "longitude",
        "latitude",
    )
)
CHUNK = 20_000


def property_of(row: dict) -> Property:
    """A `Property` from one CSV row with DVF names; `InvalidProperty` names bad columns."""
    data = {field: row.get(column) for field, column in DVF_NAMES.items()}
    kind = (data["property_type"] or "").strip()
    data["property_type"] = TYPES.get(kind.lower(), kind or None)
    data["code_commune"] = (data["code_commune"] or "").strip() or None
    # DVF writes whole numbers as "3" or "3.0": text takes both (model.property).
    return Property.from_mapping(data)


def describe(error: InvalidProperty) -> str:
    """`column: message; …` in the input's own column names."""
    parts = []
    for e in error.errors:
        name = DVF_NAMES.get(e.field, e.field)
        message = e.message
        if e.field == "property_type" and e.code == "choice":
            message = "must be Maison or Appartement"
        parts.append(f"{name}: {message}")
    if error.total > len(error.errors):
        parts.append(f"and {error.total - len(error.errors)} more")
    return "invalid: " + "; ".join(parts)


def _number(value: float) -> str:
    return f"{value:.0f}"


def predict_rows(estimator, header: list[str], rows: Iterable[list[str]]) -> Iterable[list[str]]:
    """Output rows (input fields + OUTPUT_COLUMNS) for input rows, in order."""
    width = len(header)
    batch: list[tuple[list[str], str | None, Property | None, str | None]] = []

    def flush():
        props = [p for _, _, p, _ in batch if p is not None]
        parcels = [parcel for _, _, p, parcel in batch if p is not None]
        results = iter(
            estimator.estimate_many(props, explain=False, parcel_ids=parcels) if props else []
        )
        for fields, error, prop, _ in batch:
            extra = ["", "", "", "", estimator.version, error or ""]
            if prop is not None:
                result = next(results)
                if hasattr(result, "code"):
                    extra[5] = f"outside coverage ({result.code}): {result.reason}"
                else:
                    extra[:4] = [
                        _number(result.value),
                        _number(result.low),
                        _number(result.high),
                        _number(result.price_per_m2),
                    ]
            yield fields + extra
        batch.clear()

    for fields in rows:
        error = prop = parcel = None
        if len(fields) != width:
            error = f"malformed row: {len(fields)} fields instead of {width}"
            fields = (fields + [""] * width)[:width]
        else:
            record = dict(zip(header, fields, strict=True))
            try:
                prop = property_of(record)
                parcel = (record.get("id_parcelle") or "").strip() or None
            except InvalidProperty as exc:
                error = describe(exc)
        batch.append((fields, error, prop, parcel))
        if len(batch) >= CHUNK:
            yield from flush()
    yield from flush()


def run_predict(estimator, source: Path, target: Path) -> dict[str, int]:
    """Estimate every row of `source` into `target` (written aside, then renamed)."""
    counts = {"rows": 0, "estimated": 0, "errors": 0}
    staging = target.with_name(f".{target.name}.{os.getpid()}.partial")
    with open(source, newline="", encoding="utf-8-sig") as inp:
        sample = inp.read(65536)
        inp.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(inp, dialect)
        header = next(reader, None)
        if header is None:
            raise PipelineError(f"{source} is empty")
        header = [h.strip() for h in header]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise PipelineError(f"{source}: missing column(s) {', '.join(missing)}")
        clash = [c for c in OUTPUT_COLUMNS if c in header]
        if clash:
            raise PipelineError(f"{source}: already has output column(s) {', '.join(clash)}")
        try:
            with open(staging, "w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out, dialect)
                writer.writerow([safe_cell(name) for name in header + list(OUTPUT_COLUMNS)])
                for row in predict_rows(estimator, header, reader):
                    # Someone's file, read back in a spreadsheet: no cell runs as a formula.
                    writer.writerow([safe_cell(cell) for cell in row])
                    counts["rows"] += 1
                    counts["estimated" if row[-6] else "errors"] += 1
            os.replace(staging, target)
        finally:
            if staging.exists():
                staging.unlink()
    return counts
