"""The whole catalogue for a choice of départements, years and groups, and the parsing of
those choices from the command line."""

from __future__ import annotations

from model.geography import DVF_DEPARTEMENTS, NOT_IN_DVF, departement_label
from model.settings import DEFAULT_DEPARTEMENTS
from training.sources.base import DEPARTEMENTS, DVF_FIRST_YEAR, DVF_WINDOW_YEARS, GROUPS, Item
from training.sources.cameras import camera_items
from training.sources.crime import ssmsi_items
from training.sources.places import ban_items, commune_items, iris_items
from training.sources.sales import dvf_items
from training.sources.surroundings import surroundings_items


def catalogue(departements: list[str], years: list[int], groups: list[str]) -> list[Item]:
    """Every file of the chosen groups for these départements and years."""
    builders = {
        "dvf": lambda: dvf_items(departements, years),
        "ssmsi": ssmsi_items,
        "cameras": lambda: camera_items(departements),
        "communes": lambda: commune_items(departements),
        "ban": lambda: ban_items(departements),
        "iris": lambda: iris_items(departements),
        "surroundings": lambda: surroundings_items(departements),
    }
    items = [item for group in GROUPS if group in groups for item in builders[group]()]
    # A file two groups need (a coastal département's contours) is fetched once.
    seen: set[str | None] = set()
    unique = []
    for item in items:
        key = item.path or item.official_url
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def parse_departements(text: str | None, groups: list[str]) -> list[str]:
    """Département codes from "34,59,75", or "all" (every département DVF publishes);
    raises ValueError naming the valid codes."""
    if not text or not text.strip():
        return list(DEFAULT_DEPARTEMENTS)
    if text.strip().lower() == "all":
        return list(DVF_DEPARTEMENTS)
    codes = []
    for raw in text.split(","):
        code = raw.strip().upper()
        if not code:
            continue
        if code.isdigit() and len(code) == 1:
            code = "0" + code
        codes.append(code)
    unknown = [code for code in codes if code not in DEPARTEMENTS]
    if unknown:
        hint = " (Corsica is 2A and 2B)" if "20" in unknown else ""
        raise ValueError(
            f"unknown département code(s): {', '.join(unknown)}{hint}. "
            f"Valid codes: {', '.join(DEPARTEMENTS)}."
        )
    uncovered = [code for code in codes if code in NOT_IN_DVF]
    if uncovered and "dvf" in groups:
        reasons = "; ".join(f"{code}: {NOT_IN_DVF[code]}" for code in uncovered)
        names = ", ".join(departement_label(code) for code in uncovered)
        raise ValueError(
            f"no property sales are published for {names} ({reasons}). "
            "immoval cannot estimate there; leave them out, or fetch other sources with "
            "--only (e.g. --only communes,ban)."
        )
    return list(dict.fromkeys(codes))


def parse_years(text: str, this_year: int) -> list[int]:
    """Years from "2020-2024" or "2021,2023"; raises ValueError when out of DVF's range."""
    years: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part:
                first, last = (int(bound) for bound in part.split("-", 1))
                if first > last:
                    raise ValueError
                years.extend(range(first, last + 1))
            else:
                years.append(int(part))
        except ValueError:
            raise ValueError(
                f"bad year range {part!r}: use a year (2023), a range (2020-2024) or a list"
            ) from None
    if not years:
        raise ValueError("no year given: use a year (2023), a range (2020-2024) or a list")
    outside = sorted({y for y in years if not DVF_FIRST_YEAR <= y <= this_year})
    if outside:
        raise ValueError(
            f"DVF covers {DVF_FIRST_YEAR}-{this_year} at most; not {', '.join(map(str, outside))}"
        )
    return sorted(set(years))


def parse_groups(text: str | None) -> list[str]:
    """Source groups from "dvf,ssmsi"; raises ValueError naming the valid ones."""
    if not text or not text.strip():
        return list(GROUPS)
    groups = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [group for group in groups if group not in GROUPS]
    if unknown:
        raise ValueError(f"unknown source(s): {', '.join(unknown)}. Valid: {', '.join(GROUPS)}.")
    return [group for group in GROUPS if group in groups]


def fallback_dvf_years(this_year: int) -> list[int]:
    """The five complete years before this one, when the window cannot be listed."""
    return list(range(this_year - DVF_WINDOW_YEARS, this_year))
