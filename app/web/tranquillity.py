"""The tranquillity panel of the site: titles and sources true to their scope (pure).

The incident rates are those of the whole commune (of the whole city in Paris, Lyon and
Marseille, whose arrondissements are not published apart): the title says so. Only the
sources behind the figures shown are cited: no camera list of another city, no camera
source where cameras are not listed. A five-year trend is shown only when both years
count enough incidents for a percentage to mean something.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.web import french

# A trend needs at least this many incidents (rate × population) in both years.
MIN_TREND_INCIDENTS = 50
# Burglaries are counted per 1000 dwellings: about one dwelling for two inhabitants.
DWELLINGS_PER_INHABITANT = 0.5
WHOLE_CITIES = {"75056": "Paris", "69123": "Lyon", "13055": "Marseille"}


def panel_title(code_stats: str | None, commune_name: str | None) -> str:
    """ "Tranquillité à Lille (chiffres de la commune)"; the whole city for Paris and co."""
    if code_stats in WHOLE_CITIES:
        city = WHOLE_CITIES[code_stats]
        return f"Tranquillité : chiffres de toute la ville de {city} (tous arrondissements)"
    if commune_name:
        return f"Tranquillité : chiffres de la commune de {commune_name}"
    return "Tranquillité : chiffres de la commune"


def tranquillity_panel(
    summary: Mapping | None, commune_name: str | None = None, population: float | None = None
) -> dict | None:
    """Incident groups, cameras and sources ready to display; None when unknown.

    `summary` is the tranquillity object the API answers (`describe_tranquillity`);
    `population` the commune's (for the trends), None when unknown.
    """
    if not summary:
        return None
    code = summary.get("code_commune_stats")
    # Paris is a département of one commune: comparing it with itself says nothing.
    whole_departement = summary.get("departement") == "75"
    groups = [
        _incident_group(key, g, whole_departement, population)
        for key, g in (summary.get("incidents") or {}).items()
    ]
    cameras = summary.get("cameras") or {}
    return {
        "title": panel_title(code, commune_name),
        "groups": groups,
        "cameras": _cameras_text(cameras),
        "sources": sources_shown(summary.get("sources") or [], code, bool(cameras.get("covered"))),
    }


def _incident_group(key: str, g: Mapping, whole_departement: bool, population) -> dict:
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
        "trend": _trend(g, key, population),
    }


def incidents_behind(rate: float | None, group: str, population: float | None) -> float | None:
    """About how many incidents a rate per 1000 stands for in a commune."""
    if rate is None or population is None:
        return None
    base = population * (DWELLINGS_PER_INHABITANT if group == "burglary" else 1.0)
    return rate * base / 1000


def _trend(g: Mapping, group: str, population: float | None) -> str | None:
    pct = g.get("trend_5y_pct")
    if pct is None:
        return None
    history = g.get("history") or {}
    year = g.get("year")
    before = history.get(str(year - 5)) if year is not None else None
    counts = [incidents_behind(v, group, population) for v in (g.get("rate"), before)]
    if any(c is None or c < MIN_TREND_INCIDENTS for c in counts):
        return None  # a few incidents more or less would make a large percentage
    if abs(pct) < 5:
        return "stable sur cinq ans"
    word = "en hausse" if pct > 0 else "en baisse"
    return f"{word} de {french.number(abs(pct))}{french.NBSP}% sur cinq ans"


def _cameras_text(cameras: Mapping) -> str | None:
    """How many cameras are listed within 250 m; None when not known here."""
    within = cameras.get("within_250m")
    if not cameras.get("covered") or within is None:
        return None
    if within == 0:
        return "Aucune caméra recensée à moins de 250 m."
    plural = "s" if within > 1 else ""
    return f"{within} caméra{plural} recensée{plural} à moins de 250 m."


def _is_camera_source(source: Mapping) -> bool:
    return "covers" in source or str(source.get("name", "")).startswith("Caméras")


def sources_shown(sources, code_stats: str | None, cameras_covered: bool) -> list[str]:
    """The sources behind what the panel shows, as cited under it."""
    lines = []
    for source in sources:
        if isinstance(source, str):
            lines.append(source)
            continue
        if _is_camera_source(source):
            if not cameras_covered:
                continue
            if "covers" in source and source["covers"] != code_stats:
                continue  # another city's camera list
            if "covers" not in source:
                source = {**source, "name": "Caméras : OpenStreetMap (© contributeurs, ODbL)"}
        lines.append(_source_line(source))
    return lines


def _source_line(source: Mapping) -> str:
    """A source as cited under the panel: its name and the years it covers."""
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
