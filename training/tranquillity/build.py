"""Build `reference/tranquillity/` from the raw SSMSI and camera files, and add `tq_*` to sales."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.geography import departements_of
from model.settings import Layout
from model.tranquillity import FEATURES, GROUPS, Tranquillity
from model.tranquillity.tables import RATE_COLUMNS
from training.tranquillity import cameras as cam
from training.tranquillity import ssmsi
from training.tranquillity.crossings import StreetIndex
from training.tranquillity.ssmsi import Read

# Sales per call of `Tranquillity.features` when prepare adds `tq_*`.
FEATURE_SLICE = 10_000


@dataclass(frozen=True)
class CameraSource:
    """A kind of camera file: where it is, how to read it, which communes it covers fully."""

    pattern: str
    name: str
    reader: Callable[..., Read]
    covers: tuple[str, ...] = ()
    description: str = ""
    # Position uncertainty, widening the radius within which two records are one camera.
    precision_m: float = 0.0
    # Paris decree lists: placed at street crossings with the BAN of their département.
    is_paris_list: bool = False


# Best first: a camera of an earlier source absorbs duplicates of later ones. Only lists
# kept by an authority (prefecture, municipality) are complete enough to make an area
# "covered"; OSM and crowd-sourced maps are partial, so they add points but no coverage.
CAMERA_SOURCES = (
    CameraSource(
        "paris-videoprotection-*-geocodees.csv",
        "prefecture-police-paris-2019",
        cam.read_paris_list,
        ("75056",),
        "Préfecture de police, arrêté de 2019 (sites géocodés, dates de mise en service)",
        is_paris_list=True,
    ),
    CameraSource(
        "paris-videoprotection-*-annexe*.csv",
        "prefecture-police-paris-2019-annexes",
        cam.read_paris_list,
        (),
        "Préfecture de police, arrêté de 2019 (annexes : croisements placés avec la BAN)",
        is_paris_list=True,
    ),
    CameraSource(
        "paris-prefecture-police-*.geojson",
        "prefecture-police-paris-2012",
        cam.read_geojson_points,
        ("75056",),
        "Préfecture de police, plan de vidéoprotection pour Paris (2012)",
        precision_m=cam.LIST_PRECISION_M,
    ),
    CameraSource(
        "municipal/*.geojson",
        "municipal",
        cam.read_geojson_points,
        (),
        "Listes municipales (un fichier par commune, nommé par son code INSEE)",
    ),
    CameraSource(
        "*.osm",
        "openstreetmap",
        cam.read_osm_xml,
        (),
        "OpenStreetMap, man_made=surveillance",
        precision_m=5.0,
    ),
    CameraSource(
        "*overpass*.json",
        "openstreetmap",
        cam.read_overpass_json,
        (),
        "OpenStreetMap via l'API Overpass, man_made=surveillance",
        precision_m=5.0,
    ),
    CameraSource(
        "sous-surveillance-*.geojson",
        "sous-surveillance-net",
        cam.read_geojson_points,
        (),
        "sous-surveillance.net (cartographie participative, 2012)",
        precision_m=10.0,
    ),
)


def _is_official_communal_csv(path: Path) -> bool:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline()
    return header.startswith("CODGEO_") and "est_diffuse" in header


def _official_communal_files(ssmsi_dir: Path) -> list[Path]:
    # The fetch step names the file; recognise it by its header rather than its name.
    candidates = sorted(ssmsi_dir.glob("*.csv")) + sorted(ssmsi_dir.glob("*.csv.gz"))
    official = [p for p in candidates if _is_official_communal_csv(p)]
    return sorted(ssmsi_dir.glob("communes*.parquet")) + official


def _percentiles(communes: pd.DataFrame) -> pd.DataFrame:
    """Mid-rank percentile (0–100) of each rate among communes with a published rate that year."""
    for group in GROUPS:
        rate = communes[f"{group}_rate"]
        ranks = rate.groupby(communes["year"]).rank(method="average")
        known = rate.notna().groupby(communes["year"]).transform("sum")
        communes[f"{group}_percentile"] = 100 * (ranks - 0.5) / known
    return communes


def _edition_rank(path: Path, facts: pd.DataFrame) -> tuple:
    """Lower is better: the current layout (all group indicators), then the newest years."""
    current_layout = facts["indicator"].eq("Escroqueries et fraudes aux moyens de paiement").any()
    return (not current_layout, -int(facts["year"].max()), "latest" not in path.name, path.name)


def build_incidents(ssmsi_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Commune × year and département/France × year rates, and a report of what was read."""
    report: dict = {"files": {}, "rejected": {}}

    def note(path: Path, read: Read) -> Read:
        report["files"][path.name] = int(len(read.table))
        if len(read.rejected):
            report["rejected"][path.name] = {
                "rows": int(len(read.rejected)),
                "reasons": read.rejected["reason"].value_counts().to_dict(),
                "examples": read.rejected.head(5).to_dict("records"),
            }
        return read

    parts = []
    official = [
        note(p, ssmsi.read_official_communes(p)).table for p in _official_communal_files(ssmsi_dir)
    ]
    if official:
        facts = pd.concat(official, ignore_index=True)
        missing = ssmsi.missing_indicators(facts)
        if missing:
            # A renamed or dropped indicator leaves its group unknown: say so loudly.
            report["missing_indicators"] = missing
        rates = ssmsi.group_rates(facts)
        parts.append(
            rates.assign(rates_source="ssmsi-communal", burglary_source="ssmsi-communal", rank=0)
        )
    for path in sorted(ssmsi_dir.glob("delinquance-communes-groupes-*.csv")):
        grouped = note(path, ssmsi.read_grouped_communes(path)).table
        parts.append(grouped.assign(burglary_rate=np.nan, rates_source="ssmsi-grouped", rank=1))
    if not parts:
        # Without figures every rate is unknown: the features stay NaN, prepare goes on.
        report["warning"] = f"no SSMSI communal file in {ssmsi_dir}: incident rates unknown"
        empty = {"code": "str", "year": "Int64", "population": "float64", "rank": "int64"}
        empty |= {c: "float64" for c in RATE_COLUMNS} | {
            "rates_source": "str",
            "burglary_source": "str",
        }
        parts.append(pd.DataFrame({c: pd.Series(dtype=t) for c, t in empty.items()}))
    communes = pd.concat(parts, ignore_index=True).sort_values("rank", kind="stable")
    communes = communes.drop_duplicates(["code", "year"], keep="first")

    layers = [
        note(p, ssmsi.read_burglary_layer(p)).table
        for p in sorted(ssmsi_dir.glob("cambriolages-logement-communes-*.csv"))
    ]
    if layers:
        layer = pd.concat(layers).drop_duplicates(["code", "year"]).set_index(["code", "year"])
        keys = pd.MultiIndex.from_frame(communes[["code", "year"]])
        from_layer = layer["burglary_rate"].reindex(keys).to_numpy()
        missing = communes["burglary_rate"].isna().to_numpy() & ~np.isnan(from_layer)
        communes.loc[missing, "burglary_rate"] = from_layer[missing]
        communes.loc[missing, "burglary_source"] = "ssmsi-cambriolages"
        # Communes × years absent from the layer are unpublished there: unknown, not zero.
        extra = layer.drop(index=keys, errors="ignore").reset_index()
        communes = pd.concat([communes, extra.assign(burglary_source="ssmsi-cambriolages")])
    communes["departement"] = departements_of(communes["code"])
    communes["year"] = communes["year"].astype("int16")
    communes = _percentiles(communes.drop(columns="rank").reset_index(drop=True))
    for group in GROUPS:
        # The flag of "not published" (ndiff, empty, or 0 in the derived layers).
        communes[f"{group}_published"] = communes[f"{group}_rate"].notna()

    editions = []
    for path in sorted(ssmsi_dir.glob("donnee-dep-*.csv")):
        facts = note(path, ssmsi.read_departements(path)).table
        editions.append((_edition_rank(path, facts), facts))
    if editions:
        # For each year, all the figures come from the best edition that has it.
        editions.sort(key=lambda pair: pair[0])
        ranked = [f.assign(edition=i) for i, (_, f) in enumerate(editions)]
        facts = pd.concat(ranked, ignore_index=True)
        best = facts.groupby("year")["edition"].transform("min")
        facts = facts[facts["edition"].eq(best)].drop(columns="edition")
        departements = pd.concat(
            [ssmsi.group_rates(facts), ssmsi.area_rates(facts)], ignore_index=True
        )
    else:
        departements = pd.DataFrame(
            columns=["code", "year", "population", "dwellings", *RATE_COLUMNS]
        )
    departements["year"] = departements["year"].astype("int16")
    return communes, departements, report


def _paris_streets(raw_dir: Path) -> StreetIndex | None:
    path = raw_dir / "ban" / "adresses-75.csv.gz"
    return StreetIndex.read(path) if path.is_file() else None


def build_cameras(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Merged cameras, the covered communes, and a report of what was read."""
    cameras_dir = raw_dir / "cameras"
    frames, covered, report = [], [], {"files": {}, "rejected": {}}
    seen: set[Path] = set()
    paris_sites: set[str] = set()
    streets: list[StreetIndex | None] = []  # loaded once, when a list needs it
    for source in CAMERA_SOURCES:
        for path in sorted(cameras_dir.glob(source.pattern)):
            if path in seen:
                continue
            seen.add(path)
            if source.is_paris_list:
                if not streets:
                    streets.append(_paris_streets(raw_dir))
                read = source.reader(path, source.name, streets[0], paris_sites)
            else:
                read = source.reader(path, source.name)
            if "precision_m" not in read.table:
                read.table["precision_m"] = source.precision_m
            report["files"][path.name] = int(len(read.table))
            if len(read.rejected):
                report["rejected"][path.name] = {
                    "rows": int(len(read.rejected)),
                    "reasons": read.rejected["reason"].value_counts().to_dict(),
                }
            frames.append(read.table)
            codes = source.covers
            if source.name == "municipal":
                codes = (path.name.split("-")[0].split(".")[0],)
            covered += [
                {"code": c, "source": source.name, "description": source.description} for c in codes
            ]
    merged = cam.merge_cameras(frames)
    report["cameras_read"] = int(sum(len(f) for f in frames))
    report["cameras_merged"] = int(len(merged))
    coverage = pd.DataFrame(covered, columns=["code", "source", "description"])
    return merged, coverage, report


def _years(frame: pd.DataFrame, column: str) -> list[int] | None:
    known = frame.loc[frame[column].notna(), "year"]
    return [int(known.min()), int(known.max())] if len(known) else None


def build_reference(raw_dir: str | Path, out_dir: str | Path) -> dict:
    """Write communes, départements, cameras, coverage and sources into `out_dir`."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    communes, departements, incident_report = build_incidents(raw_dir / "ssmsi")
    cameras, coverage, camera_report = build_cameras(raw_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    communes.to_parquet(out_dir / "communes.parquet", index=False)
    departements.to_parquet(out_dir / "departements.parquet", index=False)
    cameras.to_parquet(out_dir / "cameras.parquet", index=False)
    coverage.to_parquet(out_dir / "coverage.parquet", index=False)
    dated = cameras["in_service"].dropna()
    sources = {
        "sources": [
            {
                "name": "SSMSI, bases statistiques communale et départementale "
                "de la délinquance enregistrée",
                "publisher": "Ministère de l'Intérieur (SSMSI)",
                "licence": "Licence Ouverte 2.0",
                "url": "https://www.data.gouv.fr/api/1/datasets/r/98fd2271-4d76-4015-a80c-bcec329f6ad0",
                "years": _years(communes, "violence_rate"),
            },
            {
                "name": "SSMSI, cambriolages de logement par commune",
                "publisher": "Ministère de l'Intérieur (SSMSI)",
                "licence": "Licence Ouverte 2.0",
                "years": _years(communes, "burglary_rate"),
            },
            *[
                {"name": row.description, "covers": row.code}
                for row in coverage.drop_duplicates(["source", "code"]).itertuples()
            ],
            {
                "name": "Caméras : " + ", ".join(sorted(cameras["source"].unique())),
                "licence": "ODbL (OpenStreetMap), Licence Ouverte (listes publiques)",
                "count": int(len(cameras)),
                "dated": int(len(dated)),
                "years": [int(dated.min().year), int(dated.max().year)] if len(dated) else None,
            },
        ]
    }
    (out_dir / "sources.json").write_text(
        json.dumps(sources, ensure_ascii=False, indent=1), "utf-8"
    )
    report = {"incidents": incident_report, "cameras": camera_report}
    (out_dir / "build_report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1, default=str), "utf-8"
    )
    return report


def prepare_tranquillity(sales: pd.DataFrame, layout: Layout) -> pd.DataFrame:
    """The prepare step: write `reference/tranquillity/`, return the sales with `tq_*` added."""
    out_dir = layout.reference / "tranquillity"
    build_reference(layout.raw, out_dir)
    return add_features(sales, out_dir)


def add_features(sales: pd.DataFrame, reference: str | Path | Tranquillity) -> pd.DataFrame:
    """The sales with their `tq_*` columns (computed by `model.tranquillity`, one definition).

    `reference` is the folder of the tables, or those tables loaded once for several calls.
    """
    tranquillity = (
        reference if isinstance(reference, Tranquillity) else Tranquillity.load(reference)
    )
    points = sales.loc[:, ["longitude", "latitude", "date", "code_commune_stats"]]
    # Slices bound the camera queries' memory (dense in Paris: a pair per camera in reach);
    # each point's features depend on that point only (one-point and vectorised paths agree).
    parts = [
        tranquillity.features(*(part[c] for c in part.columns))
        for part in (
            points.iloc[i : i + FEATURE_SLICE] for i in range(0, len(points), FEATURE_SLICE)
        )
    ] or [tranquillity.features(*(points[c] for c in points.columns))]
    features = pd.concat(parts, ignore_index=True)
    features.index = sales.index
    return pd.concat([sales.drop(columns=[c for c in FEATURES if c in sales]), features], axis=1)
