"""The serving `Estimator`: one model bundle, loaded once, answering in milliseconds.

Everything slow happens in `load` (trees over the sales, parcel histories, the market
index, commune tables); `estimate` computes the features of a home with the same code as
training (`model.features.compute`), runs LightGBM once with `pred_contrib=True` (SHAP
values) and turns the result into a price, an 80 % range, contributions in euros and the
comparable sales it looked at.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.neighbors import KDTree

from model import bundle as bundle_format
from model import features as feats
from model.comparables import PROPERTY_TYPES, chord_to_metres, metres_to_chord, to_xyz
from model.geography import NOT_IN_DVF, departement_of
from model.market import MarketIndex, month_label, month_number
from model.property import Property
from model.ranges import RangeTable
from model.tranquillity import Tranquillity

# Beyond this, the nearest earlier sale of the same type is too far to value a home.
MAX_NEAREST_SALE_M = 5_000.0
# A point this close to a known sale is taken to be on that sale's parcel (DVF places
# sales at the parcel's centroid; an address point lies a few metres away).
PARCEL_SNAP_M = 12.0
# locate_commune: nearest sale or address within this distance, else nearest centroid.
LOCATE_SALE_M = 2_000.0
LOCATE_CENTROID_M = 30_000.0
NEIGHBOURHOOD_RADIUS_M = 500.0


@dataclass(frozen=True)
class Contribution:
    """What one group of features adds to (or takes from) the price, in euros."""

    feature: str
    label: str  # plain French, e.g. "Surface habitable : 65 m²"
    euros: float


@dataclass(frozen=True)
class Comparable:
    """A past sale near the home."""

    mutation_id: str
    date: date
    property_type: str
    living_area_m2: float
    rooms: int | None
    land_area_m2: float
    price: float
    price_per_m2: float
    distance_m: float
    latitude: float
    longitude: float
    street: str | None
    code_commune: str
    commune_name: str | None


@dataclass(frozen=True)
class Estimate:
    """A price, its 80 % range and why."""

    value: float
    low: float
    high: float
    price_per_m2: float
    confidence: str  # "high" | "medium" | "low"
    baseline: float  # € before contributions
    contributions: list[Contribution]  # largest |euros| first
    comparables: list[Comparable]
    market_period: str  # "YYYY-MM": the market month the price reflects
    model_version: str
    data_until: date
    tranquillity: dict | None


class OutsideCoverage(Exception):
    """The model cannot value this home; `code` is stable, `reason` explains."""

    def __init__(self, code: str, reason: str, departement: str | None = None):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.departement = departement


def _thousands(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


class Estimator:
    """Estimates from one model bundle."""

    def __init__(self, bundle: bundle_format.Bundle):
        meta = bundle.metadata
        self.path = bundle.path
        self.metadata = meta
        self.version = str(meta["version"])
        self.data_until = date.fromisoformat(meta["data_until"])
        self.departements = frozenset(meta["departements"])
        self.booster = bundle.booster
        self.names = tuple(meta["features"])
        self.tq_features = tuple(meta.get("tranquillity_features", ()))
        if self.names != feats.feature_names(self.tq_features):
            # The booster reads columns by position: another feature list would still
            # predict, silently wrong.
            raise bundle_format.BundleError(
                f"{bundle.path}: its features differ from this code's (built by another version)"
            )
        self.ranges = RangeTable.from_dict(meta["ranges"])
        # The group shown to users of each feature, in feature order.
        self._groups = tuple(
            "tranquillity" if name.startswith("tq_") else feats.FEATURE_GROUPS.get(name, name)
            for name in self.names
        )

        sales = bundle.table(bundle_format.SALES_TABLE)
        sales["date"] = pd.to_datetime(sales["date"])
        sales = sales.sort_values(["date", "mutation_id"], kind="stable").reset_index(drop=True)
        self.market = MarketIndex.from_frame(bundle.table(bundle_format.MARKET_TABLE))
        communes = self._read_communes(bundle.reference)
        self.history = feats.History.build(sales, self.market, feats.Communes.from_frame(communes))
        self.history.pool.warm()
        self._sales = {
            "mutation_id": sales["mutation_id"].astype(str).to_numpy(dtype=object),
            "date": sales["date"].to_numpy().astype("datetime64[D]"),
            "property_type": sales["property_type"].astype(str).to_numpy(dtype=object),
            "living_area_m2": sales["living_area_m2"].to_numpy(dtype="float64"),
            "rooms": sales["rooms"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan),
            "land_area_m2": sales["land_area_m2"].astype("float64").fillna(0).to_numpy(),
            "price": sales["price"].to_numpy(dtype="float64"),
            "price_per_m2": sales["price_per_m2"].to_numpy(dtype="float64"),
            "latitude": sales["latitude"].to_numpy(dtype="float64"),
            "longitude": sales["longitude"].to_numpy(dtype="float64"),
            "street": _text(sales.get("street")),
            "code_commune": sales["code_commune"].astype(str).to_numpy(dtype=object),
            "commune_name": _text(sales.get("commune_name")),
            "parcel_id": _text(sales.get("parcel_id")),
        }
        # One tree over every sale (both types) to locate communes and snap to parcels.
        self._all_tree = KDTree(self.history.pool.xyz, leaf_size=40)
        self._commune_names = dict(
            zip(communes["code_commune"].astype(str), communes["name"].astype(str), strict=False)
        )
        centroids = communes.dropna(subset=["latitude", "longitude"])
        self._centroid_codes = centroids["code_commune"].astype(str).to_numpy(dtype=object)
        self._centroid_tree = KDTree(to_xyz(centroids["latitude"], centroids["longitude"]))
        self._addresses = self._read_addresses(bundle.reference)
        self._market_history = self._history_lookup(bundle.table(bundle_format.HISTORY_TABLE))
        self.tranquillity = self._read_tranquillity(bundle.reference)

    # --- loading ------------------------------------------------------------------------

    @classmethod
    def load(cls, bundle_dir: str | Path) -> Estimator:
        """Load a bundle folder (`models/<version>/`)."""
        return cls(bundle_format.read_bundle(bundle_dir))

    @staticmethod
    def _read_communes(reference: Path) -> pd.DataFrame:
        path = reference / "communes.parquet"
        if path.is_file():
            return pd.read_parquet(path)
        return pd.DataFrame(
            columns=["code_commune", "name", "population", "area_km2", "latitude", "longitude"]
        )

    @staticmethod
    def _read_addresses(reference: Path):
        path = reference / "addresses.parquet"
        if not path.is_file():
            return None
        frame = pd.read_parquet(path, columns=["code_commune", "latitude", "longitude"])
        frame = frame.dropna()
        if frame.empty:
            return None
        return (
            KDTree(to_xyz(frame["latitude"], frame["longitude"]), leaf_size=40),
            frame["code_commune"].astype(str).to_numpy(dtype=object),
        )

    def _read_tranquillity(self, reference: Path):
        if not (reference / "tranquillity").is_dir():
            return None
        try:
            return Tranquillity.load(reference)
        except (OSError, KeyError, ValueError):
            if self.tq_features:
                raise
            return None

    @staticmethod
    def _history_lookup(frame: pd.DataFrame) -> dict:
        out: dict[tuple[str, str], list[dict]] = {}
        frame = frame.sort_values("quarter")
        for (code, kind), part in frame.groupby(["code_commune", "property_type"], sort=False):
            out[(str(code), str(kind))] = [
                {"quarter": str(q), "median_price_per_m2": round(float(m), 0), "sales": int(n)}
                for q, m, n in zip(
                    part["quarter"], part["median_price_per_m2"], part["sales"], strict=True
                )
            ]
        return out

    # --- estimates ----------------------------------------------------------------------

    def estimate(self, prop: Property, *, comparables: int = 10) -> Estimate:
        """The price of one home; raises `OutsideCoverage`."""
        result = self._estimate([prop], explain=True, comparables=comparables, summary=True)[0]
        if isinstance(result, OutsideCoverage):
            raise result
        return result

    def estimate_many(
        self,
        props: Sequence[Property],
        *,
        explain: bool = True,
        parcel_ids: Sequence[str | None] | None = None,
        comparables: int = 5,
    ) -> list[Estimate | OutsideCoverage]:
        """Prices of many homes at once (vectorised); failures are returned, not raised."""
        return self._estimate(
            list(props),
            explain=explain,
            comparables=comparables if explain else 0,
            summary=False,
            parcel_ids=parcel_ids,
        )

    def _coverage(self, prop: Property, code: str | None) -> OutsideCoverage | None:
        dep = departement_of(code)
        if dep in NOT_IN_DVF:
            return OutsideCoverage(
                "not_in_dvf", "sales in Alsace-Moselle and Mayotte are not published in DVF", dep
            )
        if dep is None or dep not in self.departements:
            return OutsideCoverage(
                "departement_not_trained",
                f"the model was trained on départements {', '.join(sorted(self.departements))}",
                dep,
            )
        if (dep, prop.property_type) not in self.market.levels:
            return OutsideCoverage(
                "departement_not_trained",
                f"no {prop.property_type} sales in département {dep}",
                dep,
            )
        if month_number(np.datetime64(prop.valuation_date, "D")) - 1 < self.market.first_month:
            return OutsideCoverage(
                "before_data", f"the data starts in {month_label(self.market.first_month)}", dep
            )
        return None

    def _estimate(self, props, *, explain, comparables, summary, parcel_ids=None):
        n = len(props)
        results: list = [None] * n
        if n == 0:
            return results
        lat = np.array([p.latitude for p in props], dtype="float64")
        lon = np.array([p.longitude for p in props], dtype="float64")
        xyz = to_xyz(lat, lon)
        codes = [p.code_commune for p in props]
        missing = [i for i, c in enumerate(codes) if not c]
        nearest = _Nearest(self, xyz)
        if missing:
            located = self._locate(xyz[missing], partial(nearest.of, missing))
            for i, code in zip(missing, located, strict=True):
                codes[i] = code
        keep = []
        for i, prop in enumerate(props):
            problem = self._coverage(prop, codes[i])
            if problem is not None:
                results[i] = problem
            else:
                keep.append(i)
        if not keep:
            return results
        idx = np.array(keep)
        parcels = self._parcels(
            xyz[idx],
            None if parcel_ids is None else [parcel_ids[i] for i in keep],
            partial(nearest.of, idx),
        )
        chosen = [props[i] for i in keep]
        subjects = {
            "date": np.array([p.valuation_date for p in chosen], dtype="datetime64[D]"),
            "property_type": np.array([p.property_type for p in chosen], dtype=object),
            "living_area_m2": np.array([p.living_area_m2 for p in chosen], dtype="float64"),
            "rooms": np.array(
                [np.nan if p.rooms is None else p.rooms for p in chosen], dtype="float64"
            ),
            "land_area_m2": np.array([p.land_area_m2 or 0.0 for p in chosen], dtype="float64"),
            "outbuildings": np.array([p.outbuildings or 0 for p in chosen], dtype="float64"),
            "is_vefa": np.zeros(len(chosen)),
            "latitude": lat[idx],
            "longitude": lon[idx],
            "departement": np.array([departement_of(codes[i]) for i in keep], dtype=object),
            "code_commune": np.array([codes[i] for i in keep], dtype=object),
            "parcel_id": parcels,
        }
        if self.tq_features and self.tranquillity is not None:
            # `features` maps arrondissements to their commune's statistics code itself.
            tq = self.tranquillity.features(
                subjects["longitude"],
                subjects["latitude"],
                subjects["date"],
                [codes[i] for i in keep],
            )
            # One conversion, not one per column (each costs a DataFrame look-up).
            values = tq.to_numpy(dtype="float64")
            where = {name: k for k, name in enumerate(tq.columns)}
            for name in self.tq_features:
                subjects[name] = values[:, where[name]]
        batch = feats.compute(subjects, self.history, self.tq_features)
        if explain:
            # One thread: OpenMP threads wait on each other on a busy machine (see training).
            contrib = self.booster.predict(batch.matrix, pred_contrib=True, num_threads=1)
            prediction = contrib.sum(axis=1)
        else:
            contrib = None
            prediction = self.booster.predict(batch.matrix, num_threads=1)
        area = subjects["living_area_m2"]
        value = np.exp(batch.level + prediction) * area
        low_q, high_q = self.ranges.multipliers(
            subjects["departement"],
            subjects["property_type"],
            batch.column("knn_rel_spread"),
        )
        nearest = batch.distances[:, 0]
        market_months = self.market.reference_month(month_number(subjects["date"]))
        for j, i in enumerate(keep):
            if not np.isfinite(nearest[j]) or nearest[j] > MAX_NEAREST_SALE_M:
                results[i] = OutsideCoverage(
                    "too_far_from_sales",
                    f"no earlier {subjects['property_type'][j]} sale within "
                    f"{MAX_NEAREST_SALE_M / 1000:.0f} km",
                    subjects["departement"][j],
                )
                continue
            v = float(value[j])
            low, high = v * math.exp(low_q[j]), v * math.exp(high_q[j])
            contributions, baseline = ([], v)
            if contrib is not None:
                contributions, baseline = self._contributions(contrib[j], batch, j, subjects, v)
            shown = (
                self._comparables_of(batch.neighbours[j], batch.distances[j], comparables)
                if comparables
                else []
            )
            prop = chosen[j]
            tq_summary = None
            if summary:
                tq_summary = self._tranquillity_summary(
                    prop.longitude, prop.latitude, subjects["code_commune"][j], prop.valuation_date
                )
            results[i] = Estimate(
                value=round(v, -2),
                low=round(low, -2),
                high=round(high, -2),
                price_per_m2=round(v / prop.living_area_m2, 0),
                confidence=self._confidence(high / low, batch.distances[j]),
                baseline=round(baseline, 0),
                contributions=contributions,
                comparables=shown,
                market_period=month_label(market_months[j]),
                model_version=self.version,
                data_until=self.data_until,
                tranquillity=tq_summary,
            )
        return results

    @staticmethod
    def _confidence(ratio: float, distances: np.ndarray) -> str:
        close = distances[min(feats.K_CLOSE, len(distances)) - 1]
        if ratio <= 1.45 and close <= 300:
            return "high"
        if ratio > 1.9 or not np.isfinite(close) or close > 2_000:
            return "low"
        return "medium"

    def _tranquillity_summary(self, longitude, latitude, code, on: date | None) -> dict | None:
        """The tranquillity display of a point, None when unknown there."""
        if self.tranquillity is None or not code:
            return None
        try:
            return self.tranquillity.summary(longitude, latitude, code, on_date=on)
        except (KeyError, ValueError, IndexError):
            return None

    def _nearest_sales(self, xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance (metres) and row of the nearest sale of any type to each point."""
        if not len(self.history.pool) or not len(xyz):
            return np.full(len(xyz), np.inf), np.full(len(xyz), -1, dtype="int64")
        chord, rows = self._all_tree.query(xyz, k=1)
        return chord_to_metres(chord[:, 0]), rows[:, 0]

    def _parcels(self, xyz: np.ndarray, given, nearest) -> np.ndarray:
        """Parcel of each point: given, else the parcel of a sale within PARCEL_SNAP_M;
        `nearest`: a function giving the points' `_nearest_sales` (shared with `_locate`)."""
        out = np.full(len(xyz), None, dtype=object)
        if given is not None:
            for j, value in enumerate(given):
                if value is not None and str(value).strip() and str(value) != "nan":
                    out[j] = str(value).strip()
        todo = np.array([j for j in range(len(xyz)) if out[j] is None], dtype="int64")
        if len(todo) and len(self.history.pool):
            metres, rows = nearest()
            metres, rows = metres[todo], rows[todo]
            near = metres <= PARCEL_SNAP_M
            out[todo[near]] = self._sales["parcel_id"][rows[near]]
        return out

    def _locate(self, xyz: np.ndarray, nearest=None) -> list[str | None]:
        out: list[str | None] = [None] * len(xyz)
        best = np.full(len(xyz), np.inf)
        if len(self.history.pool):
            metres, rows = nearest() if nearest is not None else self._nearest_sales(xyz)
            for j in range(len(xyz)):
                d = float(metres[j])
                if d <= LOCATE_SALE_M:
                    out[j], best[j] = self._sales["code_commune"][rows[j]], d
        if self._addresses is not None:
            tree, codes = self._addresses
            chord, rows = tree.query(xyz, k=1)
            for j in range(len(xyz)):
                d = float(chord_to_metres(chord[j, 0]))
                if d <= LOCATE_SALE_M and d < best[j]:
                    out[j], best[j] = codes[rows[j, 0]], d
        missing = [j for j in range(len(xyz)) if out[j] is None]
        if missing and len(self._centroid_codes):
            chord, rows = self._centroid_tree.query(xyz[missing], k=1)
            for j, c, r in zip(missing, chord[:, 0], rows[:, 0], strict=True):
                if chord_to_metres(c) <= LOCATE_CENTROID_M:
                    out[j] = self._centroid_codes[r]
        return out

    def locate_commune(self, latitude: float, longitude: float) -> str | None:
        """INSEE code of a point: nearest known sale or address, else nearest commune centre."""
        return self._locate(to_xyz([latitude], [longitude]))[0]

    # --- explanations -------------------------------------------------------------------

    def _contributions(self, contrib: np.ndarray, batch, j: int, subjects: dict, value: float):
        """Group SHAP values (log scale) and share the price difference out in euros."""
        area = subjects["living_area_m2"][j]
        bias = contrib[-1]
        baseline = math.exp(batch.level[j] + bias) * area
        groups: dict[str, float] = {}
        for group, c in zip(self._groups, contrib[:-1].tolist(), strict=True):
            groups[group] = groups.get(group, 0.0) + c
        total = sum(groups.values())
        gap = value - baseline
        out = []
        for group, c in groups.items():
            euros = gap * c / total if abs(total) > 1e-9 else baseline * c
            if abs(euros) < 1:
                continue
            out.append(Contribution(group, self._label(group, batch, j, subjects), round(euros, 0)))
        out.sort(key=lambda item: -abs(item.euros))
        return out, baseline

    def _label(self, group: str, batch, j: int, subjects: dict) -> str:
        kind = subjects["property_type"][j]
        if group == "surface":
            return f"Surface habitable : {_thousands(subjects['living_area_m2'][j])} m²"
        if group == "rooms":
            rooms = subjects["rooms"][j]
            return f"Nombre de pièces : {int(rooms)}" if np.isfinite(rooms) else "Nombre de pièces"
        if group == "land":
            land = subjects["land_area_m2"][j]
            return f"Terrain : {_thousands(land)} m²" if land > 0 else "Sans terrain"
        if group == "outbuildings":
            return f"Dépendances (cave, parking, garage) : {int(subjects['outbuildings'][j])}"
        if group == "type":
            return "Type de bien : " + ("maison" if kind == "house" else "appartement")
        if group == "new_build":
            return "Logement ancien (pas une vente sur plan)"
        if group == "location":
            return "Emplacement précis"
        if group == "neighbourhood":
            rows = batch.neighbours[j][: feats.K_MID]
            rows = rows[rows >= 0]
            if len(rows) == 0:
                return "Ventes voisines"
            ppm2 = np.exp(self.history.rel[rows] + batch.level[j])
            dist = batch.distances[j][: len(rows)]
            return (
                f"Prix des {len(rows)} ventes voisines les plus proches : "
                f"{_thousands(np.median(ppm2))} €/m² (médiane, au prix du marché actuel), "
                f"à {_thousands(np.median(dist))} m en médiane"
            )
        if group == "building":
            count = int(batch.column("parcel_sales")[j])
            if count == 0:
                return "Aucune vente antérieure connue sur la même parcelle"
            return f"Ventes antérieures sur la même parcelle (immeuble) : {count}"
        if group == "repeat":
            since = batch.column("home_days_since")[j]
            if not np.isfinite(since):
                return "Pas de vente antérieure connue de ce logement"
            when = subjects["date"][j].astype("datetime64[D]").astype(date) - timedelta(
                days=int(since)
            )
            return f"Vente précédente de ce logement : {when.strftime('%m/%Y')}"
        if group == "commune":
            code = subjects["code_commune"][j]
            name = self._commune_names.get(str(code), str(code))
            return f"Commune : {name}"
        if group == "tranquillity":
            return "Délinquance enregistrée dans la commune et caméras alentour"
        return group

    # --- comparables --------------------------------------------------------------------

    def _comparables_at(self, rows: np.ndarray, distances) -> list[Comparable]:
        """Sales at pool rows, `distances` metres away."""
        rows = np.asarray(rows, dtype="int64")
        # Column by column (.tolist() gives Python numbers and dates): one conversion per
        # column rather than one per field of each sale.
        s = {name: values[rows].tolist() for name, values in self._sales.items()}
        out = []
        for k, distance in enumerate(np.asarray(distances, dtype="float64").tolist()):
            rooms = s["rooms"][k]
            out.append(
                Comparable(
                    mutation_id=str(s["mutation_id"][k]),
                    date=s["date"][k],
                    property_type=str(s["property_type"][k]),
                    living_area_m2=s["living_area_m2"][k],
                    rooms=None if not math.isfinite(rooms) else int(rooms),
                    land_area_m2=s["land_area_m2"][k],
                    price=s["price"][k],
                    price_per_m2=round(s["price_per_m2"][k], 0),
                    distance_m=round(distance, 0),
                    latitude=s["latitude"][k],
                    longitude=s["longitude"][k],
                    street=_street(s["street"][k]),
                    code_commune=str(s["code_commune"][k]),
                    commune_name=s["commune_name"][k],
                )
            )
        return out

    def _comparables_of(
        self, rows: np.ndarray, distances: np.ndarray, limit: int
    ) -> list[Comparable]:
        rows, distances = rows[:limit], distances[:limit]
        found = rows >= 0
        return self._comparables_at(rows[found], distances[found])

    def comparables(
        self,
        latitude,
        longitude,
        *,
        property_type=None,
        living_area_range=None,
        rooms_range=None,
        date_from=None,
        date_to=None,
        radius_m=1000,
        limit=20,
    ) -> list[Comparable]:
        """Past sales within `radius_m` of a point matching the filters, nearest first."""
        xyz = to_xyz([latitude], [longitude])
        found, chords = self._all_tree.query_radius(
            xyz, r=metres_to_chord(float(radius_m)), return_distance=True, sort_results=True
        )
        rows, dist = found[0], chord_to_metres(chords[0])
        s = self._sales
        keep = np.ones(len(rows), dtype=bool)
        if property_type:
            keep &= s["property_type"][rows] == property_type
        if living_area_range:
            lo, hi = living_area_range
            area = s["living_area_m2"][rows]
            keep &= (area >= (lo if lo is not None else -np.inf)) & (
                area <= (hi if hi is not None else np.inf)
            )
        if rooms_range:
            lo, hi = rooms_range
            rooms = s["rooms"][rows]
            keep &= (rooms >= (lo if lo is not None else -np.inf)) & (
                rooms <= (hi if hi is not None else np.inf)
            )
        if date_from:
            keep &= s["date"][rows] >= np.datetime64(date_from, "D")
        if date_to:
            keep &= s["date"][rows] <= np.datetime64(date_to, "D")
        return self._comparables_at(rows[keep][:limit], dist[keep][:limit])

    # --- indicators ---------------------------------------------------------------------

    def market_history(self, code_commune: str, property_type: str | None = None) -> list[dict]:
        """Median €/m² and number of sales per quarter in a commune (all types if None)."""
        return list(self._market_history.get((str(code_commune), property_type or "all"), []))

    def neighbourhood(self, latitude, longitude, *, code_commune=None, on=None) -> dict:
        """Tranquillity summary and price indicators around a point."""
        code = code_commune or self.locate_commune(latitude, longitude)
        xyz = to_xyz([latitude], [longitude])
        rows = self._all_tree.query_radius(xyz, r=metres_to_chord(NEIGHBOURHOOD_RADIUS_M))[0]
        since = np.datetime64(self.data_until, "D") - np.timedelta64(365, "D")
        recent = rows[self._sales["date"][rows] > since]
        prices = {}
        for kind in PROPERTY_TYPES:
            mine = recent[self._sales["property_type"][recent] == kind]
            prices[kind] = {
                "median_price_per_m2": round(float(np.median(self._sales["price_per_m2"][mine])), 0)
                if len(mine)
                else None,
                "sales": int(len(mine)),
            }
        commune_recent = {}
        for kind in (*PROPERTY_TYPES, None):
            quarters = self.market_history(code, kind)[-4:] if code else []
            total = sum(q["sales"] for q in quarters)
            commune_recent[kind or "all"] = {
                "median_price_per_m2": (
                    round(sum(q["median_price_per_m2"] * q["sales"] for q in quarters) / total, 0)
                    if total
                    else None
                ),
                "sales": total,
            }
        tq = self._tranquillity_summary(longitude, latitude, code, on)
        return {
            "code_commune": code,
            "commune_name": self._commune_names.get(str(code)) if code else None,
            "departement": departement_of(code),
            "covered": departement_of(code) in self.departements,
            "radius_m": NEIGHBOURHOOD_RADIUS_M,
            "period": [str(since + np.timedelta64(1, "D")), self.data_until.isoformat()],
            "prices_nearby": prices,
            "prices_commune_last_4_quarters": commune_recent,
            "tranquillity": tq,
            "data_until": self.data_until.isoformat(),
        }


class _Nearest:
    """`Estimator._nearest_sales` of a batch's points, queried once, on first need."""

    def __init__(self, estimator: Estimator, xyz: np.ndarray):
        self._estimator, self._xyz, self._found = estimator, xyz, None

    def of(self, which) -> tuple[np.ndarray, np.ndarray]:
        """(metres, rows) of the points at positions `which`."""
        if self._found is None:
            self._found = self._estimator._nearest_sales(self._xyz)
        metres, rows = self._found
        return metres[which], rows[which]


def _text(series) -> np.ndarray:
    if series is None:
        return np.array([], dtype=object)
    values = series.astype("object").to_numpy(dtype=object)
    return np.array(
        [
            None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)
            for v in values
        ],
        dtype=object,
    )


def _street(street) -> str | None:
    # The street without the house number: enough to place a comparable, while a number,
    # a date and a price would point at the seller (DVF reuse: no re-identification).
    return str(street) if street else None
