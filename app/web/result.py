"""What the result page shows, built from an `Estimate` (pure functions, no Flask)."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Mapping
from datetime import date

from app.labels.contributions import labelled
from app.labels.tranquillity import describe_tranquillity
from app.web import french
from app.web.chart import build_chart

# How many contributions the explanation lists; the rest are summed up in one line.
TOP_CONTRIBUTIONS = 5
CSV_COLUMNS = (
    "date",
    "property_type",
    "living_area_m2",
    "rooms",
    "land_area_m2",
    "price",
    "price_per_m2",
    "distance_m",
    "street",
    "code_commune",
    "commune_name",
    "latitude",
    "longitude",
    "mutation_id",
)


def explanation(contributions, baseline: float, value: float) -> dict:
    """The largest contributions as French sentences, then the others summed up
    (`contributions`: labelled, see `app.labels.contributions.labelled`)."""
    ordered = sorted(contributions, key=lambda c: abs(c.euros), reverse=True)
    top, rest = ordered[:TOP_CONTRIBUTIONS], ordered[TOP_CONTRIBUTIONS:]
    lines = []
    for c in top:
        verb = "augmente" if c.euros >= 0 else "diminue"
        lines.append(
            {
                "label": c.label,
                "euros": french.signed_euros(c.euros),
                "direction": "up" if c.euros >= 0 else "down",
                "sentence": (
                    f"{c.label} — {verb} l'estimation de {french.euros(abs(c.euros), 100)}."
                ),
            }
        )
    others = sum(c.euros for c in rest)
    return {
        "baseline": french.euros(baseline, 1000),
        "lines": lines,
        "others": french.signed_euros(others) if rest else None,
        "others_count": len(rest),
        "value": french.euros(value, 1000),
    }


def comparable_rows(comparables) -> list[dict]:
    """Table rows for comparables, with raw coordinates for the map script."""
    rows = []
    for c in comparables:
        rows.append(
            {
                "date": french.long_date(c.date) if isinstance(c.date, date) else str(c.date),
                "iso_date": c.date.isoformat() if isinstance(c.date, date) else str(c.date),
                "type": french.PROPERTY_TYPES.get(c.property_type, c.property_type),
                "area": french.number(c.living_area_m2),
                "rooms": c.rooms if c.rooms is not None else "—",
                "land": french.number(c.land_area_m2) if c.land_area_m2 else "—",
                "price": french.euros(c.price),
                "price_per_m2": french.euros(c.price_per_m2, 10),
                "distance": f"{french.number(c.distance_m)}{french.NBSP}m",
                "street": c.street or "",
                "commune": c.commune_name or "",
                "latitude": c.latitude,
                "longitude": c.longitude,
            }
        )
    return rows


def comparables_csv(comparables) -> str:
    """The comparables as CSV (comma-separated, dot decimals, one header line)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in comparables:
        writer.writerow(
            [
                c.date.isoformat() if isinstance(c.date, date) else c.date,
                c.property_type,
                _plain(c.living_area_m2),
                _plain(c.rooms),
                _plain(c.land_area_m2),
                _plain(c.price),
                _plain(c.price_per_m2, 0),
                _plain(c.distance_m, 0),
                c.street or "",
                c.code_commune or "",
                c.commune_name or "",
                _plain(c.latitude, 6),
                _plain(c.longitude, 6),
                c.mutation_id,
            ]
        )
    return out.getvalue()


def _plain(value, digits: int | None = None):
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if digits is not None:
            return f"{value:.{digits}f}"
        return f"{value:g}" if value != int(value) else str(int(value))
    return value


def tranquillity_panel(summary: Mapping | None) -> dict | None:
    """Incident groups, cameras and sources ready to display; None when unknown.

    `summary` is the tranquillity object the API answers (`describe_tranquillity`).
    """
    if not summary:
        return None
    # Paris is a département of one commune: comparing it with itself says nothing.
    whole_departement = summary.get("departement") == "75"
    groups = [
        _incident_group(key, g, whole_departement)
        for key, g in (summary.get("incidents") or {}).items()
    ]
    return {
        "groups": groups,
        "cameras": _cameras_text(summary.get("cameras") or {}),
        "sources": [_source_line(s) for s in summary.get("sources") or []],
    }


def _incident_group(key: str, g: Mapping, whole_departement: bool) -> dict:
    """One incident group of the panel: its rate and how it compares."""
    rate = g.get("rate")
    ratio = g.get("ratio_to_departement")
    scope = "du département"
    if whole_departement:
        france = g.get("france_rate")
        ratio = rate / france if rate is not None and france else None
        scope = "nationale"
    return {
        "key": key,
        "label": g.get("label", key),
        "known": rate is not None,
        "rate": french.number(rate, 1) if rate is not None else None,
        "unit": g.get("unit", ""),
        "year": g.get("year"),
        "departement_rate": french.number(g["departement_rate"], 1)
        if g.get("departement_rate") is not None and not whole_departement
        else None,
        "comparison": _comparison(ratio, scope),
        "france_rate": french.number(g["france_rate"], 1)
        if g.get("france_rate") is not None
        else None,
        "percentile": french.number(g["percentile"]) if g.get("percentile") is not None else None,
        "trend": _trend(g.get("trend_5y_pct")),
    }


def _cameras_text(cameras: Mapping) -> str | None:
    """How many cameras are listed within 250 m; None when not known here."""
    within = cameras.get("within_250m")
    if not cameras.get("covered") or within is None:
        return None
    if within == 0:
        return "Aucune caméra recensée à moins de 250 m."
    plural = "s" if within > 1 else ""
    return f"{within} caméra{plural} recensée{plural} à moins de 250 m."


def _source_line(source) -> str:
    """A source as cited under the panel: its name and the years it covers."""
    if isinstance(source, str):
        return source
    years = source.get("years")
    span = ""
    if isinstance(years, list | tuple) and years:
        span = f" ({years[0]}–{years[-1]})" if years[0] != years[-1] else f" ({years[0]})"
    elif years:
        span = f" ({years})"
    return f"{source.get('name', '')}{span}"


def _comparison(ratio: float | None, scope: str = "du département") -> str | None:
    if ratio is None:
        return None
    if ratio < 0.8:
        return f"inférieur à la moyenne {scope}"
    if ratio > 1.25:
        return f"supérieur à la moyenne {scope}"
    return f"proche de la moyenne {scope}"


def _trend(pct: float | None) -> str | None:
    if pct is None:
        return None
    if abs(pct) < 5:
        return "stable sur cinq ans"
    word = "en hausse" if pct > 0 else "en baisse"
    return f"{word} de {french.number(abs(pct))}{french.NBSP}% sur cinq ans"


def chart_points(history) -> list[dict]:
    """The commune's quarters (`model.indicators.QuarterPrices`) as the chart reads them."""
    return [dataclasses.asdict(quarter) for quarter in history or ()]


def result_view(estimate, location, history, prop, data_note: str | None = None) -> dict:
    """Everything the result template needs, already worded in French; `data_note` says
    when the département's data is partial."""
    confidence_word, confidence_text = french.CONFIDENCE.get(
        estimate.confidence, (estimate.confidence, "")
    )
    return {
        "value": french.euros(estimate.value, 1000),
        "low": french.euros(estimate.low, 1000),
        "high": french.euros(estimate.high, 1000),
        "price_per_m2": french.euros(estimate.price_per_m2, 10),
        "confidence": estimate.confidence,
        "confidence_word": confidence_word,
        "confidence_text": confidence_text,
        "market_period": french.month(estimate.market_period),
        "data_until": french.long_date(estimate.data_until),
        "model_version": estimate.model_version,
        "data_note": data_note,
        "explanation": explanation(
            labelled(estimate.contributions), estimate.baseline, estimate.value
        ),
        "comparables": comparable_rows(estimate.comparables),
        "tranquillity": tranquillity_panel(describe_tranquillity(estimate.tranquillity)),
        "chart": build_chart(chart_points(history)),
        "place": {
            "label": location.label,
            "precision": french.PRECISION.get(location.precision, location.precision),
            "source": french.SOURCES.get(location.source, location.source),
            "approximate": location.precision in ("municipality", "postcode"),
            "latitude": location.latitude,
            "longitude": location.longitude,
        },
        "property": {
            "type": french.PROPERTY_TYPES.get(prop.property_type, prop.property_type),
            "area": french.number(prop.living_area_m2),
            "rooms": prop.rooms,
            "land": french.number(prop.land_area_m2) if prop.land_area_m2 else None,
            "outbuildings": prop.outbuildings,
        },
    }
