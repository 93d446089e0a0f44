"""What the result page shows, built from an `Estimate` (pure functions, no Flask)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from app.labels.contributions import labelled
from app.labels.tranquillity import describe_tranquillity
from app.web import french
from app.web.chart import build_chart
from app.web.comparables import comparable_rows
from app.web.explanation import Context, explanation
from app.web.tranquillity import tranquillity_panel

# Data older than this (days after its last sale) is worth a warning.
STALE_AFTER_DAYS = 183
APPROXIMATE_PRECISIONS = ("municipality", "postcode")


@dataclass(frozen=True)
class Extras:
    """What the page shows beside the estimate itself."""

    similar: object  # model.sales_queries.SimilarSales
    history: list  # the commune's quarters (model.indicators.QuarterPrices)
    commune_recent: object | None = None  # model.indicators.Prices of the commune, this type
    commune_name: str | None = None
    population: float | None = None
    data_note: str | None = None
    empty_fields: frozenset[str] = frozenset()
    today: date | None = None


def chart_points(history) -> list[dict]:
    """The commune's quarters (`model.indicators.QuarterPrices`) as the chart reads them."""
    return [dataclasses.asdict(quarter) for quarter in history or ()]


def months_between(earlier: date, later: date) -> int:
    """Whole months from `earlier` to `later`."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def freshness(market_period: str, data_until: date, today: date) -> dict:
    """The market month and the data date in plain words, with a warning when old."""
    age = months_between(data_until, today)
    text = (
        f"Prix au niveau du marché de {french.month(market_period)}, le dernier mois connu : "
        f"les ventes publiées (DVF) s'arrêtent au {french.long_date(data_until)}."
    )
    warning = None
    if (today - data_until).days > STALE_AFTER_DAYS:
        warning = (
            f"Attention : ces données ont {age} mois. Les prix ont pu changer depuis "
            f"{french.month(market_period)} ; l'estimation ne le sait pas."
        )
    return {"text": text, "warning": warning}


def commune_figure(estimate, prop, recent) -> dict | None:
    """At the commune's centre, the commune's recent median €/m² × the surface (with the
    model's range around it) is the honest figure; None when the commune has no sales."""
    if recent is None or not recent.median_price_per_m2 or not recent.sales:
        return None
    value = recent.median_price_per_m2 * prop.living_area_m2
    low_ratio, high_ratio = estimate.low / estimate.value, estimate.high / estimate.value
    return {
        "value": value,
        "low": value * low_ratio,
        "high": value * high_ratio,
        "price_per_m2": recent.median_price_per_m2,
        "sales": recent.sales,
    }


def result_view(estimate, location, prop, extras: Extras) -> dict:
    """Everything the result template needs, already worded in French."""
    approximate = location.precision in APPROXIMATE_PRECISIONS
    figure = commune_figure(estimate, prop, extras.commune_recent) if approximate else None
    value, low, high = estimate.value, estimate.low, estimate.high
    per_m2 = estimate.price_per_m2
    if figure:
        value, low, high = figure["value"], figure["low"], figure["high"]
        per_m2 = figure["price_per_m2"]
    level = "low" if approximate else estimate.confidence
    confidence_word, confidence_text = french.CONFIDENCE.get(level, (level, ""))
    if approximate:
        confidence_text = (
            "Sans le numéro et la rue, ce chiffre vaut pour un bien moyen de la commune, "
            "pas pour le vôtre : précisez l'adresse pour une estimation."
        )
    today = extras.today or date.today()
    ctx = Context(
        property_type=prop.property_type,
        living_area_m2=prop.living_area_m2,
        market_period=estimate.market_period,
        empty_fields=extras.empty_fields,
        approximate_place=approximate,
    )
    return {
        "value": french.euros(value, 1000),
        "low": french.euros(low, 1000),
        "high": french.euros(high, 1000),
        "price_per_m2": french.euros(per_m2, 10),
        "commune_level": figure is not None,
        "commune_sales": figure["sales"] if figure else None,
        "confidence": level,
        "confidence_word": confidence_word,
        "confidence_text": confidence_text,
        "freshness": freshness(estimate.market_period, estimate.data_until, today),
        "model_version": estimate.model_version,
        "data_note": extras.data_note,
        "explanation": explanation(
            labelled(estimate.contributions), estimate.baseline, estimate.value, ctx
        ),
        "comparables": comparable_rows(extras.similar),
        "comparables_radius": french.number(extras.similar.radius_m),
        "comparables_since": french.month(extras.similar.since.isoformat()),
        "market_month": french.month(extras.similar.market_month),
        "tranquillity": tranquillity_panel(
            describe_tranquillity(estimate.tranquillity), extras.commune_name, extras.population
        ),
        "chart": build_chart(chart_points(extras.history)),
        "place": {
            "label": location.label,
            "precision": french.PRECISION.get(location.precision, location.precision),
            "source": french.SOURCES.get(location.source, location.source),
            "approximate": approximate,
            "latitude": location.latitude,
            "longitude": location.longitude,
        },
        "property": {
            "type": french.PROPERTY_TYPES.get(prop.property_type, prop.property_type),
            "of_type": french.OF_TYPE.get(prop.property_type, prop.property_type),
            "area": french.number(prop.living_area_m2),
            "rooms": prop.rooms,
            "land": french.number(prop.land_area_m2) if prop.land_area_m2 else None,
            "outbuildings": prop.outbuildings,
        },
    }
