"""Readers of DVF files: Etalab's geo-DVF CSV and DGFiP's raw national layout, as lot rows.

Both readers return the same frame: the geo-DVF columns as strings (parsing and its
errors belong to `training.cleaning`), plus `source_file`, `source_line`,
`source_departement` and `source_year`; and the lines that could not be split into
fields at all, each with its reason.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pv

GEO_DVF_COLUMNS = (
    "id_mutation", "date_mutation", "numero_disposition", "nature_mutation",
    "valeur_fonciere", "adresse_numero", "adresse_suffixe", "adresse_nom_voie",
    "adresse_code_voie", "code_postal", "code_commune", "nom_commune", "code_departement",
    "ancien_code_commune", "ancien_nom_commune", "id_parcelle", "ancien_id_parcelle",
    "numero_volume", "lot1_numero", "lot1_surface_carrez", "lot2_numero",
    "lot2_surface_carrez", "lot3_numero", "lot3_surface_carrez", "lot4_numero",
    "lot4_surface_carrez", "lot5_numero", "lot5_surface_carrez", "nombre_lots",
    "code_type_local", "type_local", "surface_reelle_bati", "nombre_pieces_principales",
    "code_nature_culture", "nature_culture", "code_nature_culture_speciale",
    "nature_culture_speciale", "surface_terrain", "longitude", "latitude",
)  # fmt: skip

SOURCE_COLUMNS = ("source_file", "source_line", "source_departement", "source_year")
REJECTED_COLUMNS = ("source_file", "source_line", "source_departement", "source_year",
                    "mutation_id", "reason", "detail")  # fmt: skip

# Labels of the culture codes, as Etalab joins them from the DGFiP documentation.
CULTURE_LABELS = {
    "AB": "terrains a bâtir", "AG": "terrains d'agrément", "B": "bois", "BF": "futaies feuillues",
    "BM": "futaies mixtes", "BO": "oseraies", "BP": "peupleraies", "BR": "futaies résineuses",
    "BS": "taillis sous futaie", "BT": "taillis simples", "CA": "carrières", "CH": "chemin de fer",
    "E": "eaux", "J": "jardins", "L": "landes", "LB": "landes boisées", "P": "prés",
    "PA": "pâtures", "PC": "pacages", "PE": "prés d'embouche", "PH": "herbages",
    "PP": "prés plantes", "S": "sols", "T": "terres", "TP": "terres plantées", "VE": "vergers",
    "VI": "vignes",
}  # fmt: skip

_GEO_DVF_PATH = re.compile(r"(?P<year>\d{4})/departements/(?P<dep>[0-9AB]{2,3})\.csv(\.gz)?$")
_RAW_DGFIP_YEAR = re.compile(r"(?P<year>\d{4})")


class DvfLayoutError(ValueError):
    """A DVF file whose header is not the layout we read."""


def _csv_options(
    path: Path, columns: tuple[str, ...], delimiter: str, bad_lines: list[dict]
) -> tuple[pv.ParseOptions, pv.ConvertOptions]:
    """Every column as a string; lines with a wrong number of fields go to `bad_lines`."""

    def on_invalid(row: pv.InvalidRow) -> str:
        bad_lines.append(
            {
                "source_line": row.number if row.number is not None else -1,
                "reason": "wrong_field_count",
                "detail": f"{row.actual_columns} fields, expected {row.expected_columns}: "
                f"{row.text[:200]}",
            }
        )
        return "skip"

    header = _header(path, delimiter)
    missing = [c for c in columns if c not in header]
    if missing:
        raise DvfLayoutError(f"{path}: missing columns {missing} (found {header})")
    convert = pv.ConvertOptions(
        column_types={c: pa.string() for c in header},
        include_columns=list(columns),
        strings_can_be_null=False,
    )
    return pv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid), convert


def _line_numbers(start: int, count: int, bad_lines: list[dict]) -> np.ndarray:
    """Lines of `count` good rows from line `start` on: the header is line 1, skipped lines
    leave gaps (the k-th good row is on the k-th line from `start` that was not skipped)."""
    skipped = np.array([b["source_line"] for b in bad_lines if b["source_line"] >= start],
                       dtype="int64")  # fmt: skip
    return np.setdiff1d(np.arange(start, start + count + len(skipped)), skipped)[:count]


def _read_strings(
    path: Path, columns: tuple[str, ...], delimiter: str
) -> tuple[pd.DataFrame, list[dict]]:
    """Every column as a string; lines with a wrong number of fields are returned aside."""
    bad_lines: list[dict] = []
    try:
        parse, convert = _csv_options(path, columns, delimiter, bad_lines)
        table = pv.read_csv(path, parse_options=parse, convert_options=convert)
        if bad_lines:
            # Threaded reading does not know line numbers: read again serially to report them.
            bad_lines.clear()
            serial = pv.ReadOptions(use_threads=False, block_size=16 << 20)
            table = pv.read_csv(path, read_options=serial, parse_options=parse,
                                convert_options=convert)  # fmt: skip
    except (OSError, EOFError, UnicodeDecodeError, pa.ArrowException) as error:
        # A truncated download or a file of another kind: name the file, say what broke.
        raise DvfLayoutError(f"{path}: cannot be read as DVF ({error})") from error
    frame = table.to_pandas()
    frame["source_line"] = _line_numbers(2, len(frame), bad_lines).astype("int64")
    return frame, bad_lines


def _header(path: Path, delimiter: str) -> list[str]:
    """The column names on the first line of a (possibly gzipped) CSV file."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        return handle.readline().rstrip("\r\n").split(delimiter)


def _rejected_frame(bad_lines: list[dict], source: str, dep: str, year: int) -> pd.DataFrame:
    rejected = pd.DataFrame(bad_lines, columns=["source_line", "reason", "detail"])
    rejected["source_file"] = source
    rejected["source_departement"] = dep
    rejected["source_year"] = year
    rejected["mutation_id"] = ""
    return rejected.loc[:, list(REJECTED_COLUMNS)]


def geo_dvf_departement_year(path: Path) -> tuple[str, int]:
    """The département and year a geo-DVF file covers, read from its path."""
    match = _GEO_DVF_PATH.search(Path(path).as_posix())
    if match is None:
        raise DvfLayoutError(f"{path}: not a geo-DVF path <year>/departements/<dep>.csv.gz")
    return match["dep"], int(match["year"])


def read_geo_dvf(path: Path, source: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lot rows of one geo-DVF file (`<year>/departements/<dep>.csv.gz`), and rejected lines."""
    path = Path(path)
    source = source or str(path)
    dep, year = geo_dvf_departement_year(path)
    frame, bad = _read_strings(path, GEO_DVF_COLUMNS, ",")
    frame["source_file"] = source
    frame["source_departement"] = dep
    frame["source_year"] = year
    return frame.loc[:, [*GEO_DVF_COLUMNS, *SOURCE_COLUMNS]], _rejected_frame(
        bad, source, dep, year
    )


RAW_DGFIP_COLUMNS = (
    "Code service CH", "Reference document", "No disposition", "Date mutation",
    "Nature mutation", "Valeur fonciere", "No voie", "B/T/Q", "Type de voie", "Code voie",
    "Voie", "Code postal", "Commune", "Code departement", "Code commune",
    "Prefixe de section", "Section", "No plan", "No Volume", "1er lot",
    "Surface Carrez du 1er lot", "2eme lot", "Surface Carrez du 2eme lot", "3eme lot",
    "Surface Carrez du 3eme lot", "4eme lot", "Surface Carrez du 4eme lot", "5eme lot",
    "Surface Carrez du 5eme lot", "Nombre de lots", "Code type local", "Type local",
    "Surface reelle bati", "Nombre pieces principales", "Nature culture",
    "Nature culture speciale", "Surface terrain",
)  # fmt: skip

_RAW_RENAME = {
    "No disposition": "numero_disposition", "Nature mutation": "nature_mutation",
    "No voie": "adresse_numero", "B/T/Q": "adresse_suffixe", "Code voie": "adresse_code_voie",
    "Commune": "nom_commune", "No Volume": "numero_volume", "1er lot": "lot1_numero",
    "2eme lot": "lot2_numero", "3eme lot": "lot3_numero", "4eme lot": "lot4_numero",
    "5eme lot": "lot5_numero", "Nombre de lots": "nombre_lots",
    "Code type local": "code_type_local", "Type local": "type_local",
    "Nombre pieces principales": "nombre_pieces_principales",
    "Nature culture": "code_nature_culture",
    "Nature culture speciale": "code_nature_culture_speciale",
}  # fmt: skip

_RAW_DECIMALS = {
    "Valeur fonciere": "valeur_fonciere", "Surface reelle bati": "surface_reelle_bati",
    "Surface terrain": "surface_terrain",
    **{f"Surface Carrez du {n} lot": f"lot{i}_surface_carrez"
       for i, n in enumerate(("1er", "2eme", "3eme", "4eme", "5eme"), start=1)},
}  # fmt: skip


def _pad(values: pd.Series, width: int) -> pd.Series:
    """Left-pad non-empty codes with zeros (the raw file drops leading zeros)."""
    return values.where(values == "", values.str.zfill(width))


# The raw file has no mutation id: a mutation is a run of consecutive lines sharing its
# deed, date, nature, price and département (the rows of a deed are contiguous).
_RUN_KEY = ["Code service CH", "Reference document", "Date mutation", "Nature mutation",
            "Valeur fonciere", "Code departement"]  # fmt: skip


def mutation_first_lines(raw: pd.DataFrame, previous: tuple[list, int] | None = None) -> pd.Series:
    """The first line of each row's mutation; `previous`: key and first line of the row
    before `raw` (the last of the block before), whose mutation may go on here."""
    keys = raw[_RUN_KEY]
    first = raw["source_line"].where((keys != keys.shift()).any(axis=1))
    if previous is not None and len(raw) and keys.iloc[0].tolist() == previous[0]:
        first.iloc[0] = previous[1]
    return first.ffill().astype("int64")


def raw_to_geo_dvf(raw: pd.DataFrame, first_lines: pd.Series | None = None) -> pd.DataFrame:
    """Map raw DGFiP rows (strings) to the geo-DVF columns, as Etalab normalises them."""
    out = raw.rename(columns=_RAW_RENAME)
    for source, target in _RAW_DECIMALS.items():
        out[target] = raw[source].str.replace(",", ".", regex=False)
    day = raw["Date mutation"]
    # dd/mm/yyyy -> yyyy-mm-dd; anything else stays as is, for cleaning to report.
    parts = day.str.extract(r"^(\d{2})/(\d{2})/(\d{4})$")
    out["date_mutation"] = (parts[2] + "-" + parts[1] + "-" + parts[0]).fillna(day)
    dep = raw["Code departement"].str.strip()
    dep = dep.where(dep.str.len() != 1, dep.str.zfill(2))
    out["code_departement"] = dep
    commune = raw["Code commune"].str.strip()
    # Overseas départements have 3-character codes whose third digit starts the commune code.
    out["code_commune"] = (dep.str.slice(0, 2) + _pad(commune, 3)).where(commune != "", "")
    out["code_postal"] = _pad(raw["Code postal"].str.strip(), 5)
    out["adresse_code_voie"] = _pad(raw["Code voie"].str.strip(), 4)
    out["adresse_nom_voie"] = (raw["Type de voie"] + " " + raw["Voie"]).str.strip()
    prefix = raw["Prefixe de section"].str.strip().replace("", "000").str.zfill(3)
    section = raw["Section"].str.strip().str.zfill(2)
    plan = raw["No plan"].str.strip().str.zfill(4)
    out["id_parcelle"] = (out["code_commune"] + prefix + section + plan).where(
        (out["code_commune"] != "") & (raw["No plan"].str.strip() != ""), ""
    )
    for lot in range(1, 6):
        out[f"lot{lot}_numero"] = raw[f"{'1er' if lot == 1 else f'{lot}eme'} lot"].str.strip()
    out["nature_culture"] = out["code_nature_culture"].map(CULTURE_LABELS).fillna("")
    out["nature_culture_speciale"] = ""
    for empty in ("ancien_code_commune", "ancien_nom_commune", "ancien_id_parcelle",
                  "longitude", "latitude"):  # fmt: skip
        out[empty] = ""
    first_line = mutation_first_lines(raw) if first_lines is None else first_lines
    out["id_mutation"] = "brut-" + raw["source_year"].astype(str) + "-" + first_line.astype(str)
    return out


class RawDgfipFile:
    """A raw DGFiP national file (pipe-separated), read block by block: memory for a block
    of rows, not for France. Rows and ids are those of a reading of the whole file."""

    def __init__(self, path: Path, source: str | None = None, block_size: int = 16 << 20):
        self.path = Path(path)
        self.source = source or str(self.path)
        match = _RAW_DGFIP_YEAR.search(self.path.name)
        if match is None:
            raise DvfLayoutError(f"{path}: no year in the file name (valeursfoncieres-<year>.txt)")
        self.year = int(match["year"])
        self.block_size = block_size
        self._bad: list[dict] = []

    def batches(self) -> Iterator[pd.DataFrame]:
        """Lot rows in geo-DVF columns, one block at a time (at least one, maybe empty)."""
        self._bad.clear()
        start, previous, empty = 2, None, True
        try:
            parse, convert = _csv_options(self.path, RAW_DGFIP_COLUMNS, "|", self._bad)
            serial = pv.ReadOptions(use_threads=False, block_size=self.block_size)
            reader = pv.open_csv(self.path, read_options=serial, parse_options=parse,
                                 convert_options=convert)  # fmt: skip
            for batch in reader:
                raw = batch.to_pandas()
                lines = _line_numbers(start, len(raw), self._bad)
                start = int(lines[-1]) + 1 if len(lines) else start
                frame, previous = self._rows(raw, lines, previous)
                empty = False
                yield frame
            if empty:
                yield self._rows(reader.schema.empty_table().to_pandas(), [], None)[0]
        except (OSError, EOFError, UnicodeDecodeError, pa.ArrowException) as error:
            raise DvfLayoutError(f"{self.path}: cannot be read as DVF ({error})") from error

    def _rows(self, raw: pd.DataFrame, lines, previous) -> tuple[pd.DataFrame, tuple | None]:
        raw["source_line"] = np.asarray(lines, dtype="int64")
        raw["source_year"] = self.year
        first = mutation_first_lines(raw, previous)
        if len(raw):
            previous = (raw[_RUN_KEY].iloc[-1].tolist(), int(first.iloc[-1]))
        frame = raw_to_geo_dvf(raw, first)
        frame["source_file"] = self.source
        frame["source_departement"] = frame["code_departement"]
        return frame.loc[:, [*GEO_DVF_COLUMNS, *SOURCE_COLUMNS]], previous

    def rejected(self) -> pd.DataFrame:
        """The lines that could not be split into fields, once `batches` has been read."""
        return _rejected_frame(self._bad, self.source, "", self.year)


def read_raw_dgfip(path: Path, source: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lot rows of one raw DGFiP national file (pipe-separated), in geo-DVF columns."""
    raw = RawDgfipFile(path, source)
    return pd.concat(list(raw.batches()), ignore_index=True), raw.rejected()
