"""What a source file is (an `Item` and the `Check` of a good copy), the publishers'
URLs and the licences."""

from __future__ import annotations

from dataclasses import dataclass

from model.geography import DEPARTEMENT_NAMES, departement_slug

GROUPS = ("dvf", "ssmsi", "cameras", "communes", "ban", "iris", "surroundings")

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
    # The official file is a zip archive: keep only this member of it (INSEE's downloads).
    archive_member: str | None = None
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
