"""The catalogue of data sources: where each file is published, where it sits in a mirror,
where it lands under `raw/`, how to recognise a good copy, and under which licence.

Pure data and pure functions: `immoval fetch` turns the catalogue into downloads.
A mirror (`../shared/data`, or an http server laid out the same way) holds files at the
path they get under `raw/`; the official publishers hold them at `official_url`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from model.geography import (
    DEPARTEMENT_NAMES,
    DVF_DEPARTEMENTS,
    NOT_IN_DVF,
    departement_label,
    departement_slug,
)
from model.settings import DEFAULT_DEPARTEMENTS

GROUPS = ("dvf", "ssmsi", "cameras", "communes", "ban", "iris")

# Code → name as in the IGN/INSEE file names (the mirror's contours use the same slugs).
DEPARTEMENTS = {code: departement_slug(code) for code in DEPARTEMENT_NAMES}

DVF_FIRST_YEAR = 2014
# The official geo-DVF window is five years (refreshed in April and October).
DVF_WINDOW_YEARS = 5

LICENCE_OUVERTE = "Licence Ouverte 2.0 (Etalab)"
ODBL = "ODbL 1.0 (© OpenStreetMap contributors)"

DVF_URL = "https://files.data.gouv.fr/geo-dvf/latest/csv/{year}/departements/{dep}.csv.gz"
DVF_LISTING = "geo-dvf/latest/csv/"
DVF_LISTING_URL = "https://files.data.gouv.fr/geo-dvf/latest/csv/"
SSMSI_COMMUNES_URL = (
    "https://www.data.gouv.fr/api/1/datasets/r/98fd2271-4d76-4015-a80c-bcec329f6ad0"
)
SSMSI_DATASET_API = (
    "https://www.data.gouv.fr/api/1/datasets/bases-statistiques-communale-departementale-et-"
    "regionale-de-la-delinquance-enregistree-par-la-police-et-la-gendarmerie-nationales/"
)
OVERPASS_URL = "https://overpass-api.de/api/interpreter"
BAN_URL = "https://adresse.data.gouv.fr/data/ban/adresses/latest/csv/adresses-{dep}.csv.gz"
FRANCE_GEOJSON = "https://raw.githubusercontent.com/gregoiredavid/france-geojson/master"
LAPOSTE_URL = "https://datanova.laposte.fr/data-fair/api/v1/datasets/laposte-hexasmal/raw"
# The administration's geo API (INSEE COG, IGN areas and centres): every commune and the
# arrondissements of Paris, Lyon and Marseille in one answer; `surface` is in hectares.
GEO_API_COMMUNES_URL = (
    "https://geo.api.gouv.fr/communes?type=arrondissement-municipal,commune-actuelle"
    "&fields=nom,code,codesPostaux,centre,surface,population,codeDepartement,codeRegion"
    "&format=json&geometry=centre"
)
GEO_API_COMMUNES_KEYS = ("code", "nom", "codeDepartement")
GEO_API_COMMUNES_FIELDS = ("codesPostaux", "centre", "surface", "population")


@dataclass(frozen=True)
class Check:
    """How to recognise a complete, genuine copy of a file."""

    kind: str  # csv | geojson | json | json-records | osm | parquet
    gzip: bool = False
    # Columns the header must hold ("CODGEO_*" matches a prefix).
    columns: tuple[str, ...] = ()
    # Top-level keys a JSON document must hold (json-records: keys of every record).
    keys: tuple[str, ...] = ()
    # json-records: keys some record must hold (an API omits a key whose value is unknown).
    fields: tuple[str, ...] = ()
    # Column whose first and last values (ISO dates) give the period actually covered.
    date_column: str | None = None


@dataclass(frozen=True)
class Item:
    """One file to fetch."""

    group: str
    title: str
    # Path in a mirror, which is also its path under raw/; None: no mirror holds it.
    path: str | None
    check: Check
    period: str
    licence: str
    official_url: str | None = None
    # Path under raw/ when fetched from the official URL (default: `path`).
    official_path: str | None = None
    # A mirror that lacks the file is an error (else the file is reported as skipped).
    required: bool = False
    # `official_url` is a data.gouv.fr dataset API page: download its newest resource
    # whose URL matches this regular expression.
    resolve: str | None = None
    # Store the official file gzip-compressed so that it lands at the mirror's `.gz` path.
    store_gzip: bool = False
    departement: str | None = None
    year: int | None = None
    note: str = ""

    @property
    def raw_path_official(self) -> str | None:
        """Where the official file lands under raw/."""
        return self.official_path or self.path


DVF_COLUMNS = (
    "id_mutation", "date_mutation", "nature_mutation", "valeur_fonciere", "code_commune",
    "id_parcelle", "type_local", "surface_reelle_bati", "nombre_pieces_principales",
    "surface_terrain", "longitude", "latitude",
)  # fmt: skip
BAN_COLUMNS = ("id", "numero", "nom_voie", "code_postal", "code_insee", "lon", "lat")
PARIS_DECREE_COLUMNS = ("Code postal", "Implantation", "Date de mise en service")


def overpass_query(dep: str) -> str:
    """Overpass QL: every `man_made=surveillance` object inside the département."""
    return (
        "[out:json][timeout:300];"
        f'area["boundary"="administrative"]["admin_level"="6"]["ref:INSEE"="{dep}"]->.dep;'
        'nwr["man_made"="surveillance"](area.dep);'
        "out center meta;"
    )


def dvf_items(departements: list[str], years: list[int]) -> list[Item]:
    """geo-DVF, one file per (year, département)."""
    return [
        Item(
            group="dvf",
            title=f"DVF {year} département {dep}",
            path=f"geo-dvf/latest/csv/{year}/departements/{dep}.csv.gz",
            official_url=DVF_URL.format(year=year, dep=dep),
            check=Check("csv", gzip=True, columns=DVF_COLUMNS, date_column="date_mutation"),
            period=str(year),
            licence=LICENCE_OUVERTE + "; DVF reuse conditions (décret 2018-1350)",
            required=True,
            departement=dep,
            year=year,
        )
        for year in years
        for dep in departements
    ]


def ssmsi_items() -> list[Item]:
    """Recorded crime: the official communal and departmental bases, and the mirror's copies."""
    return [
        Item(
            group="ssmsi",
            title="SSMSI communal base (long format, official)",
            path="ssmsi/communes-long.parquet",
            official_url=SSMSI_COMMUNES_URL,
            check=Check(
                "parquet",
                columns=(
                    "CODGEO_*",
                    "annee",
                    "indicateur",
                    "nombre",
                    "taux_pour_mille",
                    "est_diffuse",
                    "insee_pop",
                ),
            ),
            period="2016 to the latest published year",
            licence=LICENCE_OUVERTE,
            note="mirror equivalent: ssmsi/delinquance-communes-groupes-2016-2024.csv",
        ),
        Item(
            group="ssmsi",
            title="SSMSI departmental base (latest edition, official)",
            path=None,
            official_path="ssmsi/donnee-dep-data.gouv-latest.csv",
            official_url=SSMSI_DATASET_API,
            resolve=r"/donnee-dep-data\.gouv-[^/]*\.csv$",
            check=Check(
                "csv",
                columns=("Code_departement", "annee", "indicateur", "nombre", "taux_pour_mille"),
            ),
            period="2016 to the latest published year",
            licence=LICENCE_OUVERTE,
            note="mirror equivalent: ssmsi/donnee-dep-data.gouv-2025-geographie2025.csv",
        ),
        Item(
            group="ssmsi",
            title="SSMSI departmental base, 2026-01-22 edition (mirror copy)",
            path="ssmsi/donnee-dep-data.gouv-2025-geographie2025.csv",
            check=Check(
                "csv",
                columns=("Code_departement", "annee", "indicateur", "nombre", "taux_pour_mille"),
            ),
            period="2016-2025",
            licence=LICENCE_OUVERTE,
        ),
        Item(
            group="ssmsi",
            title="SSMSI departmental base, 2023-02-09 edition (mirror copy)",
            path="ssmsi/donnee-dep-data.gouv-2022-geographie2022-produit-le2023-02-09.csv",
            check=Check("csv", columns=("classe", "annee", "Code.département", "faits")),
            period="2016-2022",
            licence=LICENCE_OUVERTE,
        ),
        Item(
            group="ssmsi",
            title="Crime rates per commune in three groups (derived from the communal base)",
            path="ssmsi/delinquance-communes-groupes-2016-2024.csv",
            check=Check("csv", columns=("code_commune", "annee", "insee_pop", "completude")),
            period="2016-2024",
            licence=LICENCE_OUVERTE,
        ),
        Item(
            group="ssmsi",
            title="Official indicators forming each group",
            path="ssmsi/groupes-indicateurs.json",
            check=Check("json", keys=("groups",)),
            period="2016-2024",
            licence=LICENCE_OUVERTE,
        ),
        Item(
            group="ssmsi",
            title="SSMSI burglary of dwellings per commune",
            path="ssmsi/cambriolages-logement-communes-2016-2021.csv",
            check=Check("csv", columns=("insee", "annee", "taux_pour_mille_logements")),
            period="2016-2021",
            licence=LICENCE_OUVERTE,
        ),
    ]


def camera_items(departements: list[str]) -> list[Item]:
    """Video-surveillance cameras: OpenStreetMap per département, and published lists."""
    items = [
        Item(
            group="cameras",
            title=f"OpenStreetMap cameras, département {dep} (Overpass API)",
            path=f"cameras/osm-overpass-{dep}.json",
            official_url=f"{OVERPASS_URL}?data={quote(overpass_query(dep), safe='')}",
            check=Check("json", keys=("elements",)),
            period="OpenStreetMap as of the fetch",
            licence=ODBL,
            departement=dep,
            note="mirror equivalent: cameras/osm-man_made-surveillance-france-2011-03-31.osm",
        )
        for dep in departements
    ]
    items += [
        Item(
            group="cameras",
            title="OpenStreetMap cameras, France extract of 2011-03-31 (mirror copy)",
            path="cameras/osm-man_made-surveillance-france-2011-03-31.osm",
            check=Check("osm"),
            period="2011-03-31",
            licence=ODBL,
        ),
        Item(
            group="cameras",
            title="Crowd-sourced cameras of sous-surveillance.net (mirror copy)",
            path="cameras/sous-surveillance-2012.geojson",
            check=Check("geojson"),
            period="2012",
            licence="ODbL 1.0 (sous-surveillance.net)",
        ),
        Item(
            group="cameras",
            title="Public cameras per commune, 2009-2010 (mirror copy)",
            path="cameras/cameras-par-commune-2009-2010.csv",
            check=Check("csv", columns=("code_commune", "nb_cameras")),
            period="2009-2010",
            licence="public sources listed per row",
        ),
    ]
    if "75" in departements:
        items += [
            Item(
                group="cameras",
                title="Paris: Préfecture de police camera plan (mirror copy)",
                path="cameras/paris-prefecture-police-2012.geojson",
                check=Check("geojson"),
                period="2012",
                licence=LICENCE_OUVERTE,
                departement="75",
            ),
            Item(
                group="cameras",
                title="Paris: 2019 prefectoral decree sites, geocoded (mirror copy)",
                path="cameras/paris-videoprotection-2019-geocodees.csv",
                check=Check("csv", columns=PARIS_DECREE_COLUMNS + ("lon", "lat")),
                period="up to 2019",
                licence="public administrative document (arrêté préfectoral)",
                departement="75",
            ),
            Item(
                group="cameras",
                title="Paris: 2019 decree, annex 1 (police sites) (mirror copy)",
                path="cameras/paris-videoprotection-2019-annexe1-prefecture.csv",
                check=Check("csv", columns=PARIS_DECREE_COLUMNS),
                period="up to 2019",
                licence="public administrative document (arrêté préfectoral)",
                departement="75",
            ),
            Item(
                group="cameras",
                title="Paris: 2019 decree, annex 2 (city sites) (mirror copy)",
                path="cameras/paris-videoprotection-2019-annexe2-ville.csv",
                check=Check("csv", columns=PARIS_DECREE_COLUMNS),
                period="up to 2019",
                licence="public administrative document (arrêté préfectoral)",
                departement="75",
            ),
        ]
    return items


def commune_items(departements: list[str]) -> list[Item]:
    """Communes: codes, names, population, centroids, postcodes and contours."""
    items = [
        Item(
            group="communes",
            title="Communes and arrondissements (COG 2024), population 2021",
            path="communes/communes-cog2024-population2021.csv",
            check=Check(
                "csv",
                columns=(
                    "insee_com",
                    "insee_dep",
                    "commune",
                    "code_postal",
                    "lat",
                    "lng",
                    "superficie_km2",
                    "population_2021",
                ),
            ),
            period="COG 2024, population 2021",
            licence=LICENCE_OUVERTE + " (INSEE)",
        ),
        Item(
            group="communes",
            title="Communes and arrondissements (geo API: INSEE COG, IGN areas and centres)",
            path="communes/communes-geo-api.json",
            official_url=GEO_API_COMMUNES_URL,
            check=Check("json-records", keys=GEO_API_COMMUNES_KEYS, fields=GEO_API_COMMUNES_FIELDS),
            period="current COG; population of the latest INSEE census",
            licence=LICENCE_OUVERTE + " (geo.api.gouv.fr: INSEE, IGN)",
            note="mirror equivalent: communes/communes-cog2024-population2021.csv",
        ),
        Item(
            group="communes",
            title="La Poste postcode ↔ INSEE code table",
            path="communes/laposte-hexasmal-2022.csv",
            official_url=LAPOSTE_URL,
            official_path="communes/laposte-hexasmal.csv",
            check=Check("csv", columns=("Code_commune_INSEE", "Code_postal")),
            period="2022 (mirror); current edition (official)",
            licence=LICENCE_OUVERTE + " (La Poste)",
        ),
        Item(
            group="communes",
            title="Département contours",
            path="communes/departements-2018.geojson",
            official_url=f"{FRANCE_GEOJSON}/departements.geojson",
            check=Check("geojson"),
            period="2018",
            licence=LICENCE_OUVERTE + " (IGN)",
        ),
    ]
    for dep in departements:
        stem = f"communes-{dep}-{DEPARTEMENTS[dep]}"
        items.append(
            Item(
                group="communes",
                title=f"Commune contours, département {dep}",
                path=f"communes/contours-2018/{stem}.geojson.gz",
                official_url=f"{FRANCE_GEOJSON}/departements/{dep}-{DEPARTEMENTS[dep]}/{stem}.geojson",
                store_gzip=True,
                check=Check("geojson", gzip=True),
                period="2018",
                licence=LICENCE_OUVERTE + " (IGN)",
                departement=dep,
            )
        )
    return items


def ban_items(departements: list[str]) -> list[Item]:
    """Base Adresse Nationale, one file per département."""
    return [
        Item(
            group="ban",
            title=f"BAN addresses, département {dep}",
            path=f"ban/adresses-{dep}.csv.gz",
            official_url=BAN_URL.format(dep=dep),
            check=Check("csv", gzip=True, columns=BAN_COLUMNS),
            period="latest BAN export",
            licence=LICENCE_OUVERTE,
            departement=dep,
        )
        for dep in departements
    ]


# IGN publishes CONTOURS-IRIS as one national 7z archive; the mirror holds per-city extracts.
IRIS_FILES = {
    "75": ("iris/contours-iris-paris-2013.geojson", "IRIS contours of Paris (IGN 2013)", "2013"),
    "59": ("iris/contours-iris-metropole-lille.geojson", "IRIS contours of the Lille area", "n/a"),
}


def iris_items(departements: list[str]) -> list[Item]:
    """Sub-commune statistical areas, where a mirror holds them."""
    return [
        Item(
            group="iris",
            title=IRIS_FILES[dep][1],
            path=IRIS_FILES[dep][0],
            check=Check("geojson"),
            period=IRIS_FILES[dep][2],
            licence=LICENCE_OUVERTE + " (IGN)",
            departement=dep,
        )
        for dep in departements
        if dep in IRIS_FILES
    ]


def catalogue(departements: list[str], years: list[int], groups: list[str]) -> list[Item]:
    """Every file of the chosen groups for these départements and years."""
    builders = {
        "dvf": lambda: dvf_items(departements, years),
        "ssmsi": ssmsi_items,
        "cameras": lambda: camera_items(departements),
        "communes": lambda: commune_items(departements),
        "ban": lambda: ban_items(departements),
        "iris": lambda: iris_items(departements),
    }
    return [item for group in GROUPS if group in groups for item in builders[group]()]


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
